// `npx tsx bench/merge-cost.ts [rows] [rows-per-insert] ['setting = value, ...']`: what a raw table's
// inserts and the merges they start cost the embedded engine, by block size. Inserts `rows` client
// events (the bench's workload, seed 7) into a fresh `client_events` in blocks of `rows-per-insert`
// through the sink's own path (RowBinary, a deduplication token each), waits until no merge is
// running, and prints the CPU of chDB's insert (ThreadPool) and merge (MergeMutate) threads and the
// parts by level and format. A block under `min_bytes_for_wide_part` (10 MiB) is written as a
// Compact part, a larger one as Wide; smaller blocks mean more parts, and every row is then merged
// more often. The optional third argument is applied with ALTER TABLE … MODIFY SETTING first.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse } from '../sinks/clickhouse/connection.ts'
import { encodeBlock, type InsertBody } from '../sinks/clickhouse/encode/block-encoder.ts'
import { sendInsert } from '../sinks/clickhouse/insert-sender.ts'
import { migrate } from '../sinks/clickhouse/migrate.ts'
import { threadCpuSeconds, threadCpuSince } from './pipelines/measure.ts'
import { clientEventRows } from './pipelines/workload.ts'

const total = Number(process.argv[2] ?? 1_000_000)
const perInsert = Number(process.argv[3] ?? 50_000)
const setting = process.argv[4]
/** Merges are picked every few seconds at most; this long with none running means they are done. */
const QUIET_MS = 2_000

const dataDir = mkdtempSync(join(tmpdir(), 'pulse-merge-cost-'))
const clickhouse = connectClickHouse({ dataDir, username: 'default', password: '' })
async function select<T>(query: string): Promise<T[]> {
  return (await clickhouse.client.query({ query, format: 'JSONEachRow' })).json<T>()
}

async function mergesSettled(): Promise<void> {
  let quietSince = Date.now()
  while (Date.now() - quietSince < QUIET_MS) {
    const [running] = await select<{ n: string }>('SELECT count() AS n FROM system.merges')
    if (Number(running?.n) > 0) quietSince = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

try {
  await migrate(clickhouse.client, 'pulse')
  if (setting !== undefined) await clickhouse.client.command({ query: `ALTER TABLE pulse.client_events MODIFY SETTING ${setting}` })
  const rows = clientEventRows(total, 7)
  const bodies: InsertBody[] = []
  for (let from = 0; from < rows.length; from += perInsert) bodies.push(encodeBlock('client_events', rows.slice(from, from + perInsert), 'RowBinary'))
  const before = threadCpuSeconds()
  for (const body of bodies) await sendInsert(clickhouse, { database: 'pulse', table: 'client_events', token: randomUUID() }, body)
  await mergesSettled()
  const spent = threadCpuSince(before)
  const perMillion = (seconds: number | undefined): string => (((seconds ?? 0) * 1e6) / rows.length).toFixed(2)
  console.log(`${rows.length.toLocaleString('en')} client_events rows in ${bodies.length} inserts of ${perInsert.toLocaleString('en')}${setting === undefined ? '' : `, ${setting}`}`)
  console.log(`CPU s per million rows: inserts (ThreadPool) ${perMillion(spent.ThreadPool)}, merges (MergeMutate) ${perMillion(spent.MergeMutate)}`)
  const parts = await select<{ part_type: string; level: number; parts: number | string; rows: number | string; active: number }>(
    "SELECT part_type, level, count() AS parts, sum(rows) AS rows, active FROM system.parts WHERE database = 'pulse' AND table = 'client_events' GROUP BY part_type, level, active ORDER BY level, active",
  )
  for (const part of parts) console.log(`  level ${part.level} ${part.part_type.padEnd(7)} ${part.active === 1 ? 'active  ' : 'replaced'} ${String(part.parts).padStart(3)} parts, ${Number(part.rows).toLocaleString('en')} rows`)
} finally {
  await clickhouse.close()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(0)
