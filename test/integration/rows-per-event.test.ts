// Rows written per input event (issue 18: ≤ 1.2 on the bench workload is the bar, all tables together,
// raw rows included). The bench's generators with their defaults go through the real processor with
// its defaults; merges are stopped on every table before anything is written, so count() is exactly
// the rows inserted (a SummingMergeTree merge would otherwise collapse partial rows and hide them).
// Per-minute windows emit once per key and partition, and since migration 012 their keys are coarse
// (no title_id), so the derived tables add little to the raw rows: per-block partials (the old
// design) wrote about 2.1 rows per event on this workload, per-title windows about 1.9.
import { describe, expect, it } from 'vitest'
import { createClientTraffic, createFlowTraffic } from '../../producers/generators/index.ts'
import { encode } from '../../schemas/codec.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

const CLIENT_EVENTS = 20_000
const FLOWS = 4_000
const SHARDS = 2
/** The key of each windowed table, and which of its rows are a window's rather than corrections. */
const WINDOW_KEYS: readonly [string, string][] = [
  ['qoe_1m', 'minute, device_type, country, cdn'],
  ['engagement_1m', 'minute, ab_test_id, ab_cell, row_id'],
]
/** client_events_1m is left out: it has no corrections column, so its late rows cannot be told from a window's. */
const ON_TIME: Record<string, string> = { qoe_1m: 'corrections = 0', engagement_1m: 'corrections = 0' }
const TABLES = ['client_events', 'network_flows', 'ip_assignments', 'client_events_1m', 'qoe_1m', 'engagement_1m', 'flows_1m', 'playback_sessions', 'care_actions', 'dead_letters']

describe('rows written per input event', () => {
  it('writes each minute key once per shard, and at most 1.2 rows per input event', async () => {
    const pipeline = await kinesisPipeline({ kinesis: { shards: SHARDS } })
    const db = pipeline.database
    const { clickhouse } = embeddedClickHouse()
    // The processor applies the migrations; merges stop before the first record is sent.
    const processor = await startProcessor(pipeline)
    for (const table of TABLES) await clickhouse.client.command({ query: `SYSTEM STOP MERGES ${db}.${table}` })

    const start = Date.now() - 600_000
    const clients = createClientTraffic({ seed: 11, startTime: start, duplicateFraction: 0 })
    const client = Array.from({ length: CLIENT_EVENTS }, () => clients.next())
    const fleet = createFlowTraffic({ seed: 11, startTime: start })
    const flows: { key: string; value: Buffer }[] = []
    const assignments: { key: string; value: Buffer }[] = []
    while (flows.length < FLOWS) {
      const item = fleet.next()
      if (item.kind === 'ip_assignment') assignments.push({ key: item.key, value: encode('ip_assignment', item.record) })
      else flows.push({ key: item.key, value: encode('network_flow', item.record) })
    }
    const { streams } = pipeline.kinesis
    await pipeline.transport.send(streams.ip_assignment, assignments)
    await pipeline.transport.send(streams.client_event, client.map((item) => ({ key: item.key, value: encode('client_event', item.record) })))
    await pipeline.transport.send(streams.network_flow, flows)
    await pollUntil(
      async () => [await count(clickhouse, `SELECT count() FROM ${db}.client_events`), await count(clickhouse, `SELECT count() FROM ${db}.network_flows`)],
      ([events = 0, written = 0]) => events >= CLIENT_EVENTS && written >= FLOWS,
      { what: 'every client event and flow', timeoutMs: 120_000 },
    )
    // The clean stop writes the windows and sessions still open: they count too.
    await processor.stop()
    expect(processor.fatal).toEqual([])

    const byTable = new Map<string, number>()
    for (const table of TABLES) byTable.set(table, await count(clickhouse, `SELECT count() FROM ${db}.${table}`))
    const total = [...byTable.values()].reduce((sum, rows) => sum + rows, 0)
    const perEvent = total / (CLIENT_EVENTS + FLOWS)
    // Exactly one raw row per event: nothing derived was traded for a lost or repeated raw row.
    expect(byTable.get('client_events')).toBe(CLIENT_EVENTS)
    expect(byTable.get('network_flows')).toBe(FLOWS)
    expect(byTable.get('engagement_1m') ?? 0).toBeGreaterThan(0)
    // Emitted once: a minute's key has at most one on-time row per shard (2 here); corrections come on top.
    for (const [table, key] of WINDOW_KEYS) {
      const most = await count(clickhouse, `SELECT max(n) FROM (SELECT count() AS n FROM ${db}.${table} WHERE ${ON_TIME[table] ?? '1'} GROUP BY ${key})`)
      expect(most, table).toBeLessThanOrEqual(SHARDS)
    }
    // Issue 18's bar, on a small run of the bench's generators: 1.2 rows per input event, raw included.
    // 20,000 events are about 20 s of event time, so each minute's keys are shared by fewer events
    // than on the bench (and the shutdown writes every session still open): a small run is the
    // harder case. The derived tables must stay a small share beside the raw rows.
    const raw = (byTable.get('client_events') ?? 0) + (byTable.get('network_flows') ?? 0)
    expect(perEvent, `rows per table: ${JSON.stringify(Object.fromEntries(byTable))}`).toBeLessThanOrEqual(1.2)
    expect((total - raw) / (CLIENT_EVENTS + FLOWS), 'derived rows per input event').toBeLessThanOrEqual(0.2)
  })
})
