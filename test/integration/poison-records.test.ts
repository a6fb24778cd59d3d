// No single record stops the stream, and no rejected record is counted: on the real emulator and
// engine, a 10,000-deep nested field on each stream and records with values their columns cannot
// hold (negative, overflowing, far-future) each become one dead letter, the good records around them
// land, and every aggregate equals what the raw tables hold.
import { PutRecordCommand } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import type { ClientEvent, NetworkFlow } from '../../schemas/types.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'

const deep = '['.repeat(10_000) + ']'.repeat(10_000)

function flow(overrides: Partial<NetworkFlow>, startSeconds: number): NetworkFlow {
  return {
    version: 2, account_id: '123456789012', interface_id: 'eni-1', src_addr: '10.0.0.1', dst_addr: '10.0.0.2', src_port: 443, dst_port: 5000,
    protocol: 6, packets: 10, bytes: 1000, start: startSeconds, end: startSeconds + 5, action: 'ACCEPT', log_status: 'OK', ...overrides,
  }
}

describe('poison and out-of-range records', () => {
  it('become one dead letter each, the records after them land, and aggregates equal the raw tables', async () => {
    const pipeline = await kinesisPipeline()
    const { streams } = pipeline.kinesis
    const now = Date.now() - 30_000
    const put = (stream: string, data: Buffer, key = 'one-key'): Promise<unknown> => pipeline.kinesis.client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: key, Data: data }))
    const events = generateClientTraffic({ seed: 11, startTime: now - 60_000, duplicateFraction: 0 }, 400).map((item) => item.record)
    const good = (list: readonly ClientEvent[]): Promise<void> => pipeline.transport.send(streams.client_event, list.map((event) => ({ key: event.app_session_id, value: encode('client_event', event) })))
    const template = events.find((event) => event.event_type === 'playback_start') ?? events[0]
    if (template === undefined) throw new Error('no events generated')

    await good(events.slice(0, 200))
    for (const stream of Object.values(streams)) await put(stream, Buffer.from(`{"event_id":${deep},"version":${deep},"change_id":${deep}}`))
    const badEvents: ClientEvent[] = [
      { ...template, event_id: 'bad-bitrate', bitrate_kbps: -5 },
      { ...template, event_id: 'bad-startup', event_type: 'playback_start', playback_id: 'pb-bad', duration_ms: -5000 },
      { ...template, event_id: 'bad-send-time', client_send_time: 9e15 },
    ]
    await good(badEvents)
    const start = Math.floor(now / 1000)
    const flows = [flow({ dst_port: 70_000 }, start), flow({ protocol: 300 }, start), flow({ version: 258 }, start), flow({}, start), flow({ bytes: 5000 }, start + 60)]
    await pipeline.transport.send(streams.network_flow, flows.map((record) => ({ key: record.interface_id, value: encode('network_flow', record) })))
    await good(events.slice(200))
    await startProcessor(pipeline)

    const { clickhouse } = embeddedClickHouse()
    const db = pipeline.database
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${db}.client_events`), (n) => n === 400, { what: 'the 400 good events' })
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${db}.network_flows`), (n) => n === 2, { what: 'the 2 good flows' })
    const letters = await pollUntil(
      async () => (await clickhouse.client.query({ query: `SELECT kind, stage, reason, detail FROM ${db}.dead_letters ORDER BY kind, detail`, format: 'JSONEachRow' })).json<{ kind: string; stage: string; reason: string; detail: string }>(),
      (rows) => rows.length === 9,
      { what: 'nine dead letters' },
    )
    expect(letters.filter((row) => row.reason === 'schema_mismatch').map((row) => row.kind)).toEqual(['client_event', 'ip_assignment', 'network_flow'])
    const ranges = letters.filter((row) => row.reason === 'out_of_range')
    expect(ranges.map((row) => row.detail.split(':')[0]).sort()).toEqual(['bitrate_kbps', 'dst_port', 'duration_ms', 'protocol', 'version'])
    expect(ranges.every((row) => row.stage === 'validate')).toBe(true)
    // The send time is a client clock, refused by the same rule as event_time before its column would.
    expect(letters.filter((row) => row.reason === 'time_out_of_range').map((row) => [row.stage, row.detail.split(' ')[0]])).toEqual([['validate', 'client_send_time']])

    // Nothing rejected was counted anywhere.
    // Minutes are written once they close (here by the idle sweep once the shards go quiet).
    const counted = await pollUntil(() => count(clickhouse, `SELECT sum(events) FROM ${db}.client_events_1m`), (n) => n >= 400, { what: 'the closed minutes', timeoutMs: 90_000 })
    expect(counted).toBe(400)
    const plays = await count(clickhouse, `SELECT countIf(event_type = 'playback_start') FROM ${db}.client_events`)
    await pollUntil(() => count(clickhouse, `SELECT sum(plays) FROM ${db}.qoe_1m`), (n) => n === plays, { what: 'qoe plays equal to raw playback starts' })
    expect(await count(clickhouse, `SELECT sum(flows) FROM ${db}.flows_1m`)).toBe(2)
    expect(await count(clickhouse, `SELECT sum(bytes) FROM ${db}.flows_1m`)).toBe(6000)
    expect(await count(clickhouse, `SELECT count() FROM ${db}.client_events WHERE event_id LIKE 'bad-%'`)).toBe(0)
  })
})
