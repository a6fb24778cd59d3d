// Per-minute rollups of one block's raw flow rows, checked against sums worked out by hand for a small
// set of rows spread over two minutes. How a block keeps the sums is in segments.test.ts.

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_ROLLUPS, flowsPerMinute } from '../../../processors/rollups.ts'
import { networkFlowRow, UNKNOWN_OWNER, type Provenance } from '../../../processors/rows.ts'
import type { Owner } from '../../../processors/enrich/ip-ownership.ts'
import type { Row } from '../../../pipeline/rows.ts'
import { networkFlow } from '../schemas/fixtures.ts'

/** 2024-01-01 12:00:00 UTC in epoch seconds: the first of the two minutes. */
const M0 = Date.UTC(2024, 0, 1, 12, 0, 0) / 1000
const M1 = M0 + 60
const from: Provenance = { ingestTimeMs: M0 * 1000, partition: 'shard-0', position: '1' }

/** The rollup's rows after adding these flow rows one by one, as a block does when they arrive. */
function summed(rows: readonly Row[]): Row[] {
  const sum = flowsPerMinute.start()
  for (const row of rows) sum.add(row)
  return sum.rows()
}

/** Rows in a stable order, so that a comparison does not depend on the rollup's map order. */
function sorted(rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

/** Column names of a table in the migrations, in order. */
function migrationColumns(table: string): string[] {
  const sql = readFileSync(new URL('../../../sinks/clickhouse/migrations/002_minute_rollups.sql', import.meta.url), 'utf8')
  const body = new RegExp(`\\{database\\}\\.${table}\\s*\\(([^)]*(?:\\([^)]*\\)[^)]*)*)\\)\\s*ENGINE`).exec(sql)?.[1]
  if (body === undefined) throw new Error(`no CREATE TABLE for ${table}`)
  return body
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '')
}

describe('flowsPerMinute', () => {
  const api: Owner = { app: 'api', cluster: 'c1', region: 'eu-west-1' }
  const db: Owner = { app: 'db', cluster: 'c2', region: 'eu-west-1' }
  const cache: Owner = { app: 'cache', cluster: 'c3', region: 'eu-west-1' }
  const flow = (source: Owner, destination: Owner, overrides: Parameters<typeof networkFlow>[0]): Row =>
    networkFlowRow(networkFlow({ dst_port: 5432, protocol: 6, action: 'ACCEPT', log_status: 'OK', ...overrides, end: (overrides?.start ?? M0) + 5 }), source, destination, from)
  const noData = { src_addr: null, dst_addr: null, src_port: null, dst_port: null, protocol: null, packets: null, bytes: null, action: null } as const

  const rows = [
    flow(api, db, { start: M0 + 5, packets: 10, bytes: 1000 }),
    flow(api, db, { start: M0 + 59, packets: 5, bytes: 500 }),
    flow(api, db, { start: M1, packets: 1, bytes: 100 }),
    flow(api, db, { start: M0 + 10, packets: 2, bytes: 120, action: 'REJECT' }),
    flow(api, db, { start: M0 + 20, packets: null, bytes: null }),
    flow(api, db, { start: M0 + 30, log_status: 'NODATA', ...noData }),
    flow(api, db, { start: M0 + 30, log_status: 'SKIPDATA', ...noData }),
    flow(api, db, { start: M0 + 40, log_status: 'NODATA', packets: 999, bytes: 999 }),
    flow(api, cache, { start: M0 + 30, dst_port: 6379, packets: 3, bytes: 300 }),
    flow(UNKNOWN_OWNER, db, { start: M1 + 1, packets: 7, bytes: 2 ** 40 }),
  ]

  const sum = (minute: number, src_app: string, dst_app: string, dst_port: number, action: string, flows: number, packets: number, bytes: number): Row => ({
    minute,
    src_app,
    dst_app,
    dst_port,
    protocol: 6,
    action,
    flows,
    packets,
    bytes,
  })

  it('sums flows, packets and bytes per minute and key, leaving out NODATA and SKIPDATA records', () => {
    expect(sorted(summed(rows))).toEqual(
      sorted([
        // +5 s, +59 s and +20 s (whose packets and bytes are null, so count as 0)
        sum(M0, 'api', 'db', 5432, 'ACCEPT', 3, 10 + 5 + 0, 1000 + 500 + 0),
        sum(M1, 'api', 'db', 5432, 'ACCEPT', 1, 1, 100),
        sum(M0, 'api', 'db', 5432, 'REJECT', 1, 2, 120),
        sum(M0, 'api', 'cache', 6379, 'ACCEPT', 1, 3, 300),
        sum(M1, 'unknown', 'db', 5432, 'ACCEPT', 1, 7, 2 ** 40),
      ]),
    )
  })

  it('reads a missing port or protocol on an OK record as 0 (the rollup columns are not nullable)', () => {
    expect(summed([flow(api, db, { start: M0, dst_port: null, protocol: null, packets: 1, bytes: 84 })])).toEqual([{ minute: M0, src_app: 'api', dst_app: 'db', dst_port: 0, protocol: 0, action: 'ACCEPT', flows: 1, packets: 1, bytes: 84 }])
  })

  it('gives no rows for a block of only NODATA and SKIPDATA records', () => {
    expect(summed([flow(api, db, { start: M0, log_status: 'NODATA', ...noData }), flow(api, db, { start: M0, log_status: 'SKIPDATA', ...noData })])).toEqual([])
  })

  it('writes exactly the columns of flows_1m', () => {
    expect(Object.keys(summed([rows[0] as Row])[0] ?? {}).sort()).toEqual(migrationColumns('flows_1m').sort())
  })
})

describe('DEFAULT_ROLLUPS', () => {
  // client_events_1m is no rollup any more: the client partitions' windows count it (minute-windows.test.ts).
  it('derives flows_1m, and only it, from network_flows', () => {
    expect(DEFAULT_ROLLUPS.map((rollup) => [rollup.reads, rollup.writes])).toEqual([['network_flows', 'flows_1m']])
  })
})
