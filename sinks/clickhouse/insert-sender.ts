// Sends an encoded insert body, the one place that decides how per connection kind. Both kinds take
// RowBinary, which ClickHouse parses far cheaper per row than JSON (DESIGN.md; bench/insert-formats.ts
// measures it on the embedded engine). A server over HTTP takes it as the request body. The embedded
// engine reads it from a private file on tmpfs with FROM INFILE, as the embedded HTTP interface does:
// chDB's raw Buffer insert (no copy, no string) takes text formats only, and a binary body cannot go
// inline in SQL text. Blocks with a value that has no binary form come as JSONCompactEachRow, which
// the embedded engine takes through that raw insert (@clickhouse/client's chDB adapter would turn the
// body into a string and splice it into the SQL). The deduplication token is a setting of the INSERT
// statement itself, so it never outlives it.
import { parseError } from '@clickhouse/client'
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { ChdbConnection } from 'chdb/connection'
import type { ClickHouse } from './connection.ts'
import { columnList } from './encode/block-columns.ts'
import type { InsertBody, InsertFormat } from './encode/block-encoder.ts'

/**
 * RowBinary for both kinds (a ClickHouse server of any age reads it); the kind decides how the body
 * travels, below. JSONCompactEachRow remains the per-block fallback (block-encoder.ts).
 */
export function insertFormatFor(_kind: ClickHouse['kind']): InsertFormat {
  return 'RowBinary'
}

export interface InsertTarget {
  database: string
  table: string
  token: string
}

/** chDB's raw insert takes plain identifiers only (it refuses anything else rather than quote it). */
const PLAIN = /^[A-Za-z0-9_]+$/

export async function sendInsert(clickhouse: ClickHouse, target: InsertTarget, body: InsertBody): Promise<void> {
  const { database, table, token } = target
  const embedded = clickhouse.embedded
  if (embedded !== undefined) {
    if (body.format === 'RowBinary') {
      await engineError(insertFromFile(embedded, target, body))
      return
    }
    if ([database, table, ...body.columns].every((name) => PLAIN.test(name))) {
      const raw = { table: `${database}.${table}`, columns: body.columns, values: body.bytes, format: body.format, settings: { insert_deduplication_token: token } }
      await engineError(embedded.chdb.rawInsert(raw))
      return
    }
  }
  const result = await clickhouse.client.exec({ query: insertStatement(target, body), values: Readable.from([body.bytes]) })
  // The answer of an INSERT is empty; read it to its end so the socket goes back to the pool.
  result.stream.resume()
  await finished(result.stream)
}

function insertStatement(target: InsertTarget, body: InsertBody, file?: string): string {
  const from = file === undefined ? '' : ` FROM INFILE ${literal(file)}`
  return `INSERT INTO ${quoted(target.database)}.${quoted(target.table)} (${columnList(body.columns)})${from} SETTINGS insert_deduplication_token = ${literal(target.token)} FORMAT ${body.format}`
}

let bodies: { directory: string; next: number } | undefined

async function insertFromFile(embedded: ChdbConnection, target: InsertTarget, body: InsertBody): Promise<void> {
  bodies ??= privateDirectory()
  // One file per insert: the sink inserts several tables' blocks at once.
  const file = join(bodies.directory, `body-${bodies.next++}`)
  writeFileSync(file, body.bytes, { mode: 0o600 })
  try {
    await embedded.chdb.queryAsync(insertStatement(target, body, file))
  } finally {
    unlinkSync(file)
  }
}

/** A directory only this user reads, on tmpfs where there is one, gone when the process is. */
function privateDirectory(): { directory: string; next: number } {
  const directory = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'pulse-insert-'))
  process.once('exit', () => {
    rmSync(directory, { recursive: true, force: true })
  })
  return { directory, next: 0 }
}

/** The same ClickHouseError the adapter raises for its own inserts, so a refusal reads alike (code, message). */
async function engineError(insert: Promise<unknown>): Promise<void> {
  try {
    await insert
  } catch (error) {
    const mapped = parseError(error instanceof Error ? error : String(error))
    if (mapped !== error) mapped.cause = error
    throw mapped
  }
}

function quoted(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``
}

function literal(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}
