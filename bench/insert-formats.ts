// `npx tsx bench/insert-formats.ts [events]`: the insert formats side by side on the embedded engine,
// with the bench's own client events (seed 7) as Pulse's row builder makes them, in blocks of 20,000
// (Pulse's batch size). Reports, per million rows, the process's CPU seconds (chDB's parser threads
// included) and wall seconds of: encoding the rows as the sink did before (row arrays, then
// JSON.stringify of each) and as it does now (encode/block-encoder.ts); the whole insert before
// (@clickhouse/client's chDB adapter), now (RowBinary read from a file, insert-sender.ts) and as the
// JSON fallback (chDB's raw insert); and chDB parsing each text format its raw insert takes, the TSV
// and CSV bodies written by ClickHouse itself from the same rows.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { columnsOf } from '../schemas/tables.ts'
import type { Row } from '../pipeline/rows.ts'
import { connectClickHouse } from '../sinks/clickhouse/connection.ts'
import { migrate } from '../sinks/clickhouse/migrate.ts'
import { encodeBlock } from '../sinks/clickhouse/encode/block-encoder.ts'
import { columnList } from '../sinks/clickhouse/encode/block-columns.ts'
import { sendInsert } from '../sinks/clickhouse/insert-sender.ts'
import { cpuSeconds } from './pipelines/measure.ts'
import { clientEventRows } from './pipelines/workload.ts'

const BLOCK = 20_000
const events = Number(process.argv[2] ?? 200_000)
const columns = columnsOf('client_events').map(([name]) => name)

function blocksOfRows(): Row[][] {
  const rows = clientEventRows(events, 7)
  const blocks: Row[][] = []
  for (let at = 0; at < rows.length; at += BLOCK) blocks.push(rows.slice(at, at + BLOCK))
  return blocks
}

async function measure(name: string, rows: number, work: () => Promise<unknown>): Promise<void> {
  const usage = process.resourceUsage()
  const started = performance.now()
  await work()
  const wall = (performance.now() - started) / 1000
  const perMillion = 1e6 / rows
  console.log(`${name.padEnd(58)} ${(cpuSeconds(usage) * perMillion).toFixed(2).padStart(6)} CPU s/M rows ${(wall * perMillion).toFixed(2).padStart(6)} wall s/M rows`)
}

const blocks = blocksOfRows()
const total = blocks.reduce((sum, block) => sum + block.length, 0)
const dataDir = mkdtempSync(join(tmpdir(), 'pulse-insert-formats-'))
const clickhouse = connectClickHouse({ dataDir, username: 'default', password: '' })
const chdb = clickhouse.embedded?.chdb
if (chdb === undefined) throw new Error('expected the embedded engine')
const { client } = clickhouse
let tables = 0

async function freshTable(): Promise<string> {
  const table = `t${++tables}`
  await client.command({ query: `CREATE TABLE bench.${table} AS bench.client_events` })
  return table
}

const arraysOf = (block: Row[]): unknown[][] => block.map((row) => columns.map((column) => row[column] ?? null))

try {
  await migrate(client, 'bench')
  console.log(`${total.toLocaleString('en-US')} client_events rows in blocks of ${BLOCK.toLocaleString('en-US')}`)
  // The bodies each engine-side measurement parses, made once: JSON by Pulse, TSV and CSV by ClickHouse.
  const json = blocks.map((block) => encodeBlock('client_events', block, 'JSONCompactEachRow').bytes)
  const staging = await freshTable()
  for (const body of json) await chdb.rawInsert({ table: `bench.${staging}`, columns, values: body, format: 'JSONCompactEachRow' })
  const textOf = async (format: string): Promise<Buffer[]> => {
    const result = await chdb.queryAsync(`SELECT ${columnList(columns)} FROM bench.${staging} FORMAT ${format}`)
    const lines = result.text().split('\n').filter((line) => line !== '')
    return blocks.map((_, index) => Buffer.from(`${lines.slice(index * BLOCK, (index + 1) * BLOCK).join('\n')}\n`))
  }
  const bodies = { JSONCompactEachRow: json, TSV: await textOf('TabSeparated'), CSV: await textOf('CSV') }
  for (let round = 1; round <= 2; round++) {
    console.log(`round ${round}`)
    await measure('encode before: row arrays + JSON.stringify per row', total, async () => {
      for (const block of blocks) arraysOf(block).map((values) => JSON.stringify(values)).join('\n')
      await Promise.resolve()
    })
    await measure('encode now: encodeBlock JSONCompactEachRow', total, async () => {
      for (const block of blocks) encodeBlock('client_events', block, 'JSONCompactEachRow')
      await Promise.resolve()
    })
    await measure('encode now: encodeBlock RowBinary (the HTTP path)', total, async () => {
      for (const block of blocks) encodeBlock('client_events', block, 'RowBinary')
      await Promise.resolve()
    })
    const before = await freshTable()
    await measure('insert before: @clickhouse/client adapter, JSONCompactEachRow', total, async () => {
      for (const block of blocks) await client.insert({ table: `bench.${before} (${columnList(columns)})`, values: arraysOf(block), format: 'JSONCompactEachRow' })
    })
    const now = await freshTable()
    await measure('insert, JSON fallback: encodeBlock + chDB raw insert, JSONCompactEachRow', total, async () => {
      for (const block of blocks) await chdb.rawInsert({ table: `bench.${now}`, columns, values: encodeBlock('client_events', block, 'JSONCompactEachRow').bytes, format: 'JSONCompactEachRow' })
    })
    const serial = await freshTable()
    await measure('engine parse only: chDB raw insert, JSONCompactEachRow, serial', total, async () => {
      for (const body of json) await chdb.rawInsert({ table: `bench.${serial}`, columns, values: body, format: 'JSONCompactEachRow', settings: { input_format_parallel_parsing: 0 } })
    })
    const binary = await freshTable()
    await measure('insert now: encodeBlock + sendInsert, RowBinary FROM INFILE', total, async () => {
      for (const block of blocks) await sendInsert(clickhouse, { database: 'bench', table: binary, token: randomUUID() }, encodeBlock('client_events', block, 'RowBinary'))
    })
    for (const [format, formatBodies] of Object.entries(bodies)) {
      const table = await freshTable()
      await measure(`engine parse only: chDB raw insert, ${format}`, total, async () => {
        for (const body of formatBodies) await chdb.rawInsert({ table: `bench.${table}`, columns, values: body, format: format as 'TSV' })
      })
    }
  }
} finally {
  await clickhouse.close()
  rmSync(dataDir, { recursive: true, force: true })
}
