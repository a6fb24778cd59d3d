// Each request runs on a chDB session of its own on the engine's data directory. Sessions on one
// directory share the engine and its data but run in parallel, so a slow query never waits behind the
// sink's inserts or holds them up (on one session chDB runs one query at a time: that is why a
// sleepEachRow query through the old interface stalled ingestion). A fresh session also means no
// SET, role or parameter of one request can leak into the next. Opening one costs about a millisecond.
import type { Session } from 'chdb'
import { loadChdb } from '../chdb-loader.ts'
import type { RoleLimits } from './access.ts'
import { literal } from './statement.ts'

export interface RequestSession {
  readonly session: Session
  /** Runs one statement, answering its rows as JSONEachRow objects. */
  probe(sql: string): Promise<Record<string, unknown>[]>
  run(sql: string): Promise<void>
  close(): void
}

export function openRequestSession(path: string, limits: RoleLimits): RequestSession {
  // The limits are set at connect: a request may lower them but the profile's constraints refuse more.
  const args = [
    // A server's default (chDB's is 0): 64-bit integers reach JSON clients as strings, not as doubles.
    '--output_format_json_quote_64bit_integers=1',
    ...(limits.maxExecutionTime === undefined ? [] : [`--max_execution_time=${limits.maxExecutionTime}`]),
    ...(limits.maxMemoryUsage === undefined ? [] : [`--max_memory_usage=${limits.maxMemoryUsage}`]),
  ]
  const session = new (loadChdb('chdb').Session)(path, { connectionArgs: args })
  return {
    session,
    probe: async (sql) => {
      const text = (await session.queryAsync(sql, { format: 'JSONEachRow' })).text()
      return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>)
    },
    run: async (sql) => {
      await session.queryAsync(sql, { format: 'TabSeparated' })
    },
    close: () => session.close(),
  }
}

/** `SET name = 'value'`: the value as a literal, which ClickHouse converts to the setting's type. */
export function setStatement(name: string, value: string): string {
  return `SET ${name} = ${/^-?\d+(\.\d+)?$/.test(value) ? value : literal(value)}`
}

/** `SET param_name = 'value'`: the HTTP value as the server receives it, unescaped by the engine once. */
export function paramStatement(name: string, value: string): string {
  return `SET param_${name} = ${literal(value)}`
}
