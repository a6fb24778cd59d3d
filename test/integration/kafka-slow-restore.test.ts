// A partition's state restore can take longer than the group's session timeout (at a high rate each
// reassigned partition reads back hundreds of thousands of events), and kafkajs sends no heartbeat
// while the assignment is being prepared. A member silent that long is dropped by the coordinator:
// it rejoined, restored again, was dropped again, and at scale fenced out by the next generation.
// Here each partition's preparation takes 2.5 s, a topic's (topics are prepared side by side) more
// than two sessions: the member keeps its membership, prepares each partition once, and reads every
// record.
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, onTestFinished } from 'vitest'
import { kafkaSource, openKafka } from '../../cli/roles.ts'
import type { BatchOutcome, SourceBatch } from '../../pipeline/source.ts'
import { ClickHouseCheckpointStore } from '../../sinks/clickhouse/checkpoint-store.ts'
import { migrate } from '../../sinks/clickhouse/migrate.ts'
import { kafkaPipeline, PARTITIONS, produceClientEvents } from '../helpers/kafka.ts'
import { embeddedClickHouse, pollUntil, testLogger } from '../helpers/services.ts'

const EVENTS = 600
const SESSION_MS = 3000
const PREPARE_MS_PER_PARTITION = 2500

describe('a Kafka member whose partition restores outlast its session', () => {
  it('heartbeats through them: one assignment, each partition prepared once, every record read', async () => {
    const pipeline = await kafkaPipeline({ kafka: { sessionTimeoutMs: SESSION_MS } })
    const { clickhouse } = embeddedClickHouse()
    await migrate(clickhouse.client, pipeline.database)
    await produceClientEvents(pipeline, EVENTS, 23)
    const { logger, lines } = testLogger()
    const runtime = { ...pipeline.runtime, logger }
    const source = kafkaSource(runtime, openKafka(runtime), new ClickHouseCheckpointStore(clickhouse.client, pipeline.database, 'slow-restore-test'))
    const prepared: string[] = []
    let read = 0
    const handler = (batch: SourceBatch): Promise<BatchOutcome> => {
      if (batch.stream === pipeline.kafka.streams.client_event) read += batch.records.length
      return Promise.resolve('taken')
    }
    await source.start(handler, {
      onAssigned: async (stream, partition) => {
        prepared.push(`${stream}/${partition}`)
        await sleep(PREPARE_MS_PER_PARTITION)
      },
    })
    onTestFinished(() => source.stop())

    const topics = Object.values(pipeline.kafka.streams).length
    // A topic's partitions, prepared one after another, take two sessions: without heartbeats the member was dropped first.
    expect(PARTITIONS * PREPARE_MS_PER_PARTITION).toBeGreaterThan(2 * SESSION_MS)
    await pollUntil(() => Promise.resolve(read), (n) => n >= EVENTS, { what: 'every record', timeoutMs: 60_000 })
    expect(read).toBe(EVENTS)
    expect(prepared.length).toBe(topics * PARTITIONS)
    expect(new Set(prepared).size).toBe(prepared.length)
    expect(lines.filter((line) => line.includes('"msg":"partitions assigned"'))).toHaveLength(1)
  })
})
