// Memory is bounded by bytes, not only rows: a backlog of large records on the real broker is held
// to the byte budget (plus what one bounded fetch brings), where a row count alone let whole fetches
// of them pile up. Each large record here is rubbish, so it is also a dead letter carrying its bytes.
import { randomBytes } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { kafkaPipeline, produceClientEvents, startKafkaProcessor } from '../helpers/kafka.ts'

const BUDGET = 4 << 20
const RECORD_BYTES = 400 << 10
const LARGE_RECORDS = 100

describe('a backlog of large records on Kafka', () => {
  it('is held within the byte budget and every record lands', async () => {
    const pipeline = await kafkaPipeline({ clickhouse: { maxBufferedBytes: BUDGET } })
    const topic = pipeline.kafka.streams.client_event
    // Two at a time: a record batch must stay under the broker's 1 MB message.max.bytes.
    for (let i = 0; i < LARGE_RECORDS; i += 2) {
      await pipeline.transport.send(topic, [0, 1].map((j) => ({ key: `large-${i + j}`, value: randomBytes(RECORD_BYTES) })))
    }
    await produceClientEvents(pipeline, 50, 3)

    const running = await startKafkaProcessor(pipeline)
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, running.processor.bufferedBytes)), 2)
    onTestFinished(() => clearInterval(sampler))
    const { clickhouse } = embeddedClickHouse()
    const db = pipeline.database
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${db}.dead_letters`), (n) => n === LARGE_RECORDS, { what: 'a dead letter per large record', timeoutMs: 90_000 })
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${db}.client_events`), (n) => n === 50, { what: 'the good events after them' })
    clearInterval(sampler)

    // Held at most: the budget, plus the record that crossed it.
    expect(peak).toBeGreaterThan(RECORD_BYTES)
    expect(peak).toBeLessThanOrEqual(BUDGET + RECORD_BYTES)
    expect(running.fatal).toEqual([])
  })
})
