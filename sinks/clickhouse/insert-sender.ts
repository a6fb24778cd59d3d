// Sends an encoded insert body, the one place that decides how per connection kind. The embedded
// engine takes the Buffer through chDB's raw insert: handed over without a copy and parsed by the
// engine's own threads (@clickhouse/client's chDB adapter would turn it into a string and splice it
// into the SQL); chDB accepts text formats only there, so JSONCompactEachRow. A server over HTTP takes
// RowBinary, which it parses about 2.5× cheaper per row than JSON (DESIGN.md), as the request body.
// The deduplication token is a setting of the INSERT statement itself, so it never outlives it.
import { parseError } from '@clickhouse/client'
import { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import type { ClickHouse } from './connection.ts'
import { columnList } from './encode/block-columns.ts'
import type { InsertBody, InsertFormat } from './encode/block-encoder.ts'

export function insertFormatFor(kind: ClickHouse['kind']): InsertFormat {
  return kind === 'embedded' ? 'JSONCompactEachRow' : 'RowBinary'
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
  if (embedded !== undefined && body.format !== 'RowBinary' && [database, table, ...body.columns].every((name) => PLAIN.test(name))) {
    try {
      await embedded.chdb.rawInsert({
        table: `${database}.${table}`,
        columns: body.columns,
        values: body.bytes,
        format: body.format,
        settings: { insert_deduplication_token: token },
      })
    } catch (error) {
      // The same ClickHouseError the adapter raises for its own inserts, so a refusal reads alike
      // (code, message) whichever way the body went.
      const mapped = parseError(error instanceof Error ? error : String(error))
      if (mapped !== error) mapped.cause = error
      throw mapped
    }
    return
  }
  const query = `INSERT INTO ${quoted(database)}.${quoted(table)} (${columnList(body.columns)}) SETTINGS insert_deduplication_token = ${literal(token)} FORMAT ${body.format}`
  const result = await clickhouse.client.exec({ query, values: Readable.from([body.bytes]) })
  // The answer of an INSERT is empty; read it to its end so the socket goes back to the pool.
  result.stream.resume()
  await finished(result.stream)
}

function quoted(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``
}

function literal(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}
