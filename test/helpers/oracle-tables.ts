// What ClickHouse holds in the tables the oracle (oracle.ts) predicts, read into the oracle's shapes,
// and the comparison of the two: shared by the event-time correctness suite and the chaos harness, so
// both judge the same columns the same way. Summed tables are grouped by their key first, since a
// table may hold a key in several rows (partials, corrections) that only their sums define.
import { isDeepStrictEqual } from 'node:util'
import type { ClickHouseClient } from '@clickhouse/client'
import {
  expectTitleQoe,
  isEmptyRow,
  type CareRow,
  type ClientExpectation,
  type EngagementSums,
  type FlowSums,
  type QoeSums,
  type SessionRow,
  type TitleEngagementSums,
  type TitleQoeSums,
} from './oracle.ts'

export async function rows<T>(client: ClickHouseClient, sql: string): Promise<T[]> {
  const result = await client.query({ query: sql, format: 'JSONEachRow' })
  return result.json<T>()
}

/** Differences between two keyed collections, at most `limit` of them, readable in a test failure. */
export function differences<T>(actual: ReadonlyMap<string, T>, expected: ReadonlyMap<string, T>, same: (a: T, b: T) => boolean, limit = 15): string[] {
  const found: string[] = []
  for (const [key, want] of expected) {
    const got = actual.get(key)
    if (got === undefined) found.push(`missing ${key}: expected ${JSON.stringify(want)}`)
    else if (!same(got, want)) found.push(`differs ${key}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  }
  for (const [key, got] of actual) if (!expected.has(key)) found.push(`unexpected ${key}: ${JSON.stringify(got)}`)
  if (found.length > limit) return [...found.slice(0, limit), `... and ${found.length - limit} more`]
  return found
}

export const exactly = <T>(a: T, b: T): boolean => isDeepStrictEqual(a, b)

export function sameSession(a: SessionRow, b: SessionRow): boolean {
  const close = (x: number | null, y: number | null): boolean => (x === null || y === null ? x === y : Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)))
  const { avg_bitrate_kbps: aAvg, rebuffer_ratio: aRatio, ...aRest } = a
  const { avg_bitrate_kbps: bAvg, rebuffer_ratio: bRatio, ...bRest } = b
  return close(aAvg, bAvg) && close(aRatio, bRatio) && exactly(aRest, bRest)
}

function numbers(row: Record<string, unknown>, columns: readonly string[]): Record<string, number> {
  return Object.fromEntries(columns.map((column): [string, number] => [column, Number(row[column])]))
}

const QOE_SUMS = ['play_attempts', 'plays', 'failed_plays', 'rebuffer_events', 'rebuffer_ms', 'played_ms', 'glitches', 'errors'] as const
const ENGAGEMENT_SUMS = ['impressions', 'clicks', 'plays', 'played_ms', 'completions', 'autoplay_next'] as const

export async function readQoe(client: ClickHouseClient, database: string): Promise<Map<string, QoeSums>> {
  const result = await rows<Record<string, unknown>>(client, `
    SELECT toUnixTimestamp(minute) AS m, device_type, country, cdn,
           ${QOE_SUMS.map((column) => `sum(${column}) AS ${column}`).join(', ')}, sumMap(startup_ms_hist) AS hist
    FROM ${database}.qoe_1m GROUP BY m, device_type, country, cdn`)
  const map = new Map<string, QoeSums>()
  for (const row of result) {
    const sums = { ...numbers(row, QOE_SUMS), startup_ms_hist: histogram(row.hist) } as QoeSums
    if (!isEmptyRow(sums)) map.set(`${Number(row.m)}|${String(row.device_type)}|${String(row.country)}|${String(row.cdn)}`, sums)
  }
  return map
}

function histogram(value: unknown): Record<string, number> {
  const buckets = Object.entries(value as Record<string, string>).map(([bucket, n]): [string, number] => [bucket, Number(n)])
  return Object.fromEntries(buckets.filter(([, n]) => n !== 0))
}

const TITLE_QOE_SUMS = [...QOE_SUMS, 'completions', 'autoplay_next'] as const
const TITLE_ENGAGEMENT_SUMS = ['impressions', 'clicks', 'plays', 'completions', 'autoplay_next'] as const

export async function readTitleQoe(client: ClickHouseClient, database: string): Promise<Map<string, TitleQoeSums>> {
  const result = await rows<Record<string, unknown>>(client, `
    SELECT toUnixTimestamp(minute) AS m, title_id, device_type, country, cdn, ${TITLE_QOE_SUMS.join(', ')}, startup_ms_hist
    FROM ${database}.title_qoe_1m_v`)
  const key = (row: Record<string, unknown>): string => `${Number(row.m)}|${String(row.title_id)}|${String(row.device_type)}|${String(row.country)}|${String(row.cdn)}`
  return new Map(result.map((row) => [key(row), { ...numbers(row, TITLE_QOE_SUMS), startup_ms_hist: histogram(row.startup_ms_hist) } as TitleQoeSums]))
}

export async function readTitleEngagement(client: ClickHouseClient, database: string): Promise<Map<string, TitleEngagementSums>> {
  const result = await rows<Record<string, unknown>>(client, `
    SELECT toUnixTimestamp(minute) AS m, title_id, row_id, ${TITLE_ENGAGEMENT_SUMS.join(', ')} FROM ${database}.title_engagement_1m_v`)
  const key = (row: Record<string, unknown>): string => `${Number(row.m)}|${String(row.title_id)}|${String(row.row_id)}`
  return new Map(result.map((row) => [key(row), numbers(row, TITLE_ENGAGEMENT_SUMS) as unknown as TitleEngagementSums]))
}

export async function readEngagement(client: ClickHouseClient, database: string): Promise<Map<string, EngagementSums>> {
  const result = await rows<Record<string, unknown>>(client, `
    SELECT toUnixTimestamp(minute) AS m, row_id, ab_test_id, ab_cell, ${ENGAGEMENT_SUMS.map((column) => `sum(${column}) AS ${column}`).join(', ')}
    FROM ${database}.engagement_1m GROUP BY m, row_id, ab_test_id, ab_cell`)
  return new Map(
    result.map((row) => [
      `${Number(row.m)}|${String(row.row_id)}|${String(row.ab_test_id)}|${String(row.ab_cell)}`,
      numbers(row, ENGAGEMENT_SUMS) as unknown as EngagementSums,
    ]),
  )
}

export async function readSessions(client: ClickHouseClient, database: string): Promise<SessionRow[]> {
  const result = await rows<Record<string, unknown>>(client, `
    SELECT session_id, profile_id, device_id, device_type, app_session_id, title_id, country, isp, cdn, ab_cells,
           toUnixTimestamp64Milli(start_time) AS start_ms, toUnixTimestamp64Milli(end_time) AS end_ms, started, startup_ms,
           rebuffer_count, rebuffer_ms, played_ms, rebuffer_ratio, avg_bitrate_kbps, peak_bitrate_kbps, errors, glitches,
           exit_reason, autoplay_next, ended
    FROM ${database}.playback_sessions FINAL`)
  const nullable = (value: unknown): number | null => (value === null ? null : Number(value))
  return result.map((row) => ({
    session_id: String(row.session_id),
    profile_id: String(row.profile_id),
    device_id: String(row.device_id),
    device_type: String(row.device_type),
    app_session_id: String(row.app_session_id),
    title_id: String(row.title_id),
    country: String(row.country),
    isp: String(row.isp),
    cdn: String(row.cdn),
    ab_cells: row.ab_cells as string[],
    start_time: Number(row.start_ms),
    end_time: Number(row.end_ms),
    started: Number(row.started),
    startup_ms: nullable(row.startup_ms),
    rebuffer_count: Number(row.rebuffer_count),
    rebuffer_ms: Number(row.rebuffer_ms),
    played_ms: Number(row.played_ms),
    rebuffer_ratio: Number(row.rebuffer_ratio),
    avg_bitrate_kbps: nullable(row.avg_bitrate_kbps),
    peak_bitrate_kbps: nullable(row.peak_bitrate_kbps),
    errors: Number(row.errors),
    glitches: Number(row.glitches),
    exit_reason: String(row.exit_reason),
    autoplay_next: Number(row.autoplay_next),
    ended: Number(row.ended),
  }))
}

export async function readCare(client: ClickHouseClient, database: string): Promise<Map<string, CareRow>> {
  const result = await rows<Record<string, unknown>>(
    client,
    `SELECT session_id, profile_id, toUnixTimestamp64Milli(action_time) AS action_ms, problems, remedy FROM ${database}.care_actions FINAL`,
  )
  return new Map(
    result.map((row) => [
      String(row.session_id),
      { session_id: String(row.session_id), profile_id: String(row.profile_id), action_time: Number(row.action_ms), problems: row.problems as string[], remedy: String(row.remedy) },
    ]),
  )
}

export async function readFlows(client: ClickHouseClient, database: string): Promise<Map<string, FlowSums>> {
  const result = await rows<Record<string, unknown>>(client, `
    SELECT toUnixTimestamp(minute) AS m, src_app, dst_app, dst_port, protocol, action, sum(flows) AS flows, sum(packets) AS packets, sum(bytes) AS bytes
    FROM ${database}.flows_1m GROUP BY m, src_app, dst_app, dst_port, protocol, action`)
  return new Map(
    result.map((row) => [
      `${Number(row.m)}|${String(row.src_app)}|${String(row.dst_app)}|${Number(row.dst_port)}|${Number(row.protocol)}|${String(row.action)}`,
      numbers(row, ['flows', 'packets', 'bytes']) as unknown as FlowSums,
    ]),
  )
}

export interface TableDifferences {
  table: string
  /** Keys (or sessions) the oracle expects in the table. */
  expected: number
  /** Missing, differing and unexpected keys, the first few of them spelled out. */
  differences: string[]
}

/**
 * Every aggregate table against the oracle: per-minute QoE and engagement, ended and open sessions,
 * care actions, the per-title views and, when given, flows_1m. Raw rows are the caller's to count.
 */
export async function compareWithOracle(client: ClickHouseClient, database: string, expected: ClientExpectation, flowsPerMinute?: ReadonlyMap<string, FlowSums>): Promise<TableDifferences[]> {
  const sessions = await readSessions(client, database)
  const ended = new Map(sessions.filter((row) => row.ended === 1).map((row) => [row.session_id, row]))
  const open = new Map(sessions.filter((row) => row.ended === 0).map((row) => [row.session_id, row]))
  const tables: TableDifferences[] = [
    { table: 'qoe_1m', expected: expected.qoe.size, differences: differences(await readQoe(client, database), expected.qoe, exactly) },
    { table: 'engagement_1m', expected: expected.engagement.size, differences: differences(await readEngagement(client, database), expected.engagement, exactly) },
    { table: 'playback_sessions (ended)', expected: expected.ended.size, differences: differences(ended, expected.ended, sameSession) },
    { table: 'playback_sessions (open)', expected: expected.open.size, differences: differences(open, expected.open, sameSession) },
    { table: 'care_actions', expected: expected.care.size, differences: differences(await readCare(client, database), expected.care, exactly) },
    { table: 'title_engagement_1m_v', expected: expected.titleEngagement.size, differences: differences(await readTitleEngagement(client, database), expected.titleEngagement, exactly) },
  ]
  const titleQoe = expectTitleQoe([...expected.ended.values(), ...expected.open.values()])
  tables.push({ table: 'title_qoe_1m_v', expected: titleQoe.size, differences: differences(await readTitleQoe(client, database), titleQoe, exactly) })
  if (flowsPerMinute !== undefined) tables.push({ table: 'flows_1m', expected: flowsPerMinute.size, differences: differences(await readFlows(client, database), flowsPerMinute, exactly) })
  return tables
}
