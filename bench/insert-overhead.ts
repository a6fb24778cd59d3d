// `npx tsx bench/insert-overhead.ts [inserts]`: what one insert costs the embedded engine whatever its
// size. Pulse writes each derived table once per partition per round, a few hundred rows at a time
// (BENCHMARKS.md, "Where the CPU goes"), so the fixed cost of an insert (a part written, its files,
// the deduplication log) weighs more than its rows. Inserts blocks of 30, 300 and 3,000 qoe_1m rows
// and of 3,000 and 20,000 client_events rows through the sink's own path (RowBinary, FROM INFILE, a
// deduplication token each), one after the other, and prints the process's CPU per insert and per
// thousand rows, chDB's threads and the merges they start included. Then, once the process is warm
// (the first few hundred inserts of a fresh process also pay for memory faulted in), 30-row blocks
// again into qoe_1m and into copies of it with the Null and Memory engines: what of a small insert is
// the query itself (Null: no part), what the table, and what the part on disk.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Row } from '../pipeline/rows.ts'
import { connectClickHouse } from '../sinks/clickhouse/connection.ts'
import { migrate } from '../sinks/clickhouse/migrate.ts'
import { encodeBlock } from '../sinks/clickhouse/encode/block-encoder.ts'
import { sendInsert } from '../sinks/clickhouse/insert-sender.ts'
import { cpuSeconds } from './pipelines/measure.ts'
import { clientEventRows } from './pipelines/workload.ts'

const inserts = Number(process.argv[2] ?? 100)
const MINUTE = Date.UTC(2026, 11, 1)

function qoeRows(size: number, block: number): Row[] {
  const minute = new Date(MINUTE + (block % 30) * 60_000).toISOString().slice(0, 19).replace('T', ' ')
  return Array.from({ length: size }, (_, k) => ({
    minute, device_type: `device-${k % 5}`, country: `C${k % 40}`, cdn: `cdn-${k % 3}`,
    play_attempts: 1, plays: 1, failed_plays: 0, rebuffer_events: k % 2, rebuffer_ms: 120, played_ms: 5_000, glitches: 0, errors: 0,
    startup_ms_hist: { 40: 1 }, corrections: 0,
  }))
}

const dataDir = mkdtempSync(join(tmpdir(), 'pulse-insert-overhead-'))
const clickhouse = connectClickHouse({ dataDir, username: 'default', password: '' })
try {
  await migrate(clickhouse.client, 'pulse')
  const events = clientEventRows(20_000, 7)
  const cases: { table: string; size: number; block: (index: number) => Row[] }[] = [
    { table: 'qoe_1m', size: 30, block: (index) => qoeRows(30, index) },
    { table: 'qoe_1m', size: 300, block: (index) => qoeRows(300, index) },
    { table: 'qoe_1m', size: 3_000, block: (index) => qoeRows(3_000, index) },
    { table: 'client_events', size: 3_000, block: (index) => events.slice((index * 3_000) % 17_000, ((index * 3_000) % 17_000) + 3_000) },
    { table: 'client_events', size: 20_000, block: () => events },
  ]
  console.log(`${inserts} inserts per case, one after the other; CPU of the whole process (chDB's threads included)`)
  for (const { table, size, block } of cases) {
    const count = size >= 20_000 ? Math.max(5, Math.floor(inserts / 5)) : inserts
    const bodies = Array.from({ length: count }, (_, index) => encodeBlock(table, block(index), 'RowBinary'))
    const usage = process.resourceUsage()
    const started = performance.now()
    for (const body of bodies) await sendInsert(clickhouse, { database: 'pulse', table, token: randomUUID() }, body)
    const cpu = cpuSeconds(usage)
    const wall = performance.now() - started
    console.log(`${table.padEnd(14)} ${String(size).padStart(6)} rows/insert: ${((cpu * 1000) / count).toFixed(1).padStart(6)} CPU ms per insert, ${((cpu * 1e6) / (count * size)).toFixed(2).padStart(6)} CPU ms per 1,000 rows, ${(wall / count).toFixed(1)} ms wall per insert`)
  }
  await clickhouse.client.command({ query: 'CREATE TABLE pulse.qoe_1m_null AS pulse.qoe_1m ENGINE = Null' })
  await clickhouse.client.command({ query: 'CREATE TABLE pulse.qoe_1m_memory AS pulse.qoe_1m ENGINE = Memory' })
  console.log(`warm, 30 rows per insert, ${inserts} inserts each, the tables in turn:`)
  const warm = Array.from({ length: inserts }, (_, index) => encodeBlock('qoe_1m', qoeRows(30, index), 'RowBinary'))
  for (const table of ['qoe_1m', 'qoe_1m_null', 'qoe_1m_memory', 'qoe_1m']) {
    const usage = process.resourceUsage()
    for (const body of warm) await sendInsert(clickhouse, { database: 'pulse', table, token: randomUUID() }, body)
    console.log(`${table.padEnd(14)}     30 rows/insert: ${((cpuSeconds(usage) * 1000) / inserts).toFixed(1).padStart(6)} CPU ms per insert`)
  }
} finally {
  await clickhouse.close()
  rmSync(dataDir, { recursive: true, force: true })
}
process.exit(0)
