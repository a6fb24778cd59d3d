// The whole pipeline on the real engines: generated traffic put on the Kinesis emulator, read by the
// processor, written to chDB through @clickhouse/client; what is produced is exactly what lands.
import { PutRecordCommand } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'

describe('Kinesis → processor → ClickHouse', () => {
  it('writes every produced client event exactly once', async () => {
    const pipeline = await kinesisPipeline()
    const generated = generateClientTraffic({ seed: 7, startTime: Date.now() - 60_000, duplicateFraction: 0 }, 3000)
    await pipeline.transport.send(
      pipeline.kinesis.streams.client_event,
      generated.map((item) => ({ key: item.key, value: encode('client_event', item.record) })),
    )
    await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    const table = `${pipeline.database}.client_events`
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${table}`), (n) => n >= 3000, { what: '3000 rows' })
    const result = await clickhouse.client.query({ query: `SELECT event_id FROM ${table}`, format: 'JSONEachRow' })
    const ids = (await result.json<{ event_id: string }>()).map((row) => row.event_id).sort()
    expect(ids).toEqual(generated.map((item) => item.record.event_id).sort())
    // The minute is written once its window closes: here the shard goes quiet, and after the idle
    // timeout (30 s by default) its watermark follows the clock past the minute.
    const perMinute = await pollUntil(() => count(clickhouse, `SELECT sum(events) FROM ${pipeline.database}.client_events_1m`), (n) => n >= 3000, {
      what: 'the closed minute in client_events_1m',
      timeoutMs: 90_000,
    })
    expect(perMinute).toBe(3000)
  })

  it('dead-letters a malformed record with its reason and keeps going', async () => {
    const pipeline = await kinesisPipeline()
    const stream = pipeline.kinesis.streams.client_event
    const [before, after] = [generateClientTraffic({ seed: 1, startTime: Date.now() - 60_000 }, 20), generateClientTraffic({ seed: 2, startTime: Date.now() - 30_000 }, 20)]
    const send = (items: typeof before): Promise<void> =>
      pipeline.transport.send(stream, items.map((item) => ({ key: 'one-key', value: encode('client_event', item.record) })))
    await send(before)
    await pipeline.kinesis.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'one-key', Data: Buffer.from('{"event_id": "x", "event_type": "not-a-type"') }))
    await pipeline.kinesis.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'one-key', Data: Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9]) }))
    await send(after)
    await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events`), (n) => n === 40, { what: 'the 40 good events' })
    const letters = await pollUntil(
      async () => (await clickhouse.client.query({ query: `SELECT stage, reason, raw_preview FROM ${pipeline.database}.dead_letters ORDER BY position`, format: 'JSONEachRow' })).json<{ stage: string; reason: string; raw_preview: string }>(),
      (rows) => rows.length === 2,
      { what: 'two dead letters' },
    )
    expect(letters.map((row) => [row.stage, row.reason])).toEqual([
      ['decode', 'malformed_json'],
      ['decode', 'unknown_schema'],
    ])
    expect(letters[0]?.raw_preview).toContain('not-a-type')
  })
})
