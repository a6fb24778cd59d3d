// `pulse query`: runs SQL against the pipeline's ClickHouse and prints the result in any ClickHouse
// output format. Embedded data in use by a live `pulse run` is queried through that run's HTTP
// interface; otherwise the data directory is opened directly, or a server is asked over HTTP.
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import type { Config } from '../runtime/config.ts'
import { connectClickHouse } from '../sinks/clickhouse/connection.ts'
import { findLiveRun } from './run-file.ts'
import { ConfigError } from '../runtime/errors.ts'

const READ_STATEMENT = /^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS|\()/i
const HAS_FORMAT = /\bFORMAT\s+[A-Za-z0-9_]+\s*;?\s*$/i

/** Runs the statement and streams its result to `out`; resolves with the bytes written. */
export async function runQuery(config: Config, sql: string | undefined, format: string, out: NodeJS.WritableStream): Promise<number> {
  if (sql === undefined || sql.trim() === '') throw new ConfigError('pulse query needs the SQL to run, e.g. pulse query "SELECT count() FROM pulse.client_events"')
  const { client, close } = openQueryClient(config)
  try {
    const statement = READ_STATEMENT.test(sql) && !HAS_FORMAT.test(sql) ? `${sql.trim().replace(/;$/, '')} FORMAT ${format}` : sql
    const result = await client.exec({ query: statement })
    let written = 0
    for await (const chunk of result.stream) {
      written += (chunk as Buffer).byteLength
      out.write(chunk as Buffer)
    }
    return written
  } finally {
    await close()
  }
}

/** The ClickHouse that queries read: a live run's query port, else the data directory, else the server. */
export function openQueryClient(config: Config): { client: ClickHouseClient; close: () => Promise<void> } {
  const { clickhouse } = config
  if (clickhouse.url === undefined) {
    const live = findLiveRun(clickhouse.dataDir)
    if (live !== undefined) {
      // The run has claimed the directory but not opened its query port yet: opening the directory
      // here would take libchdb's lock from under it.
      if (live.queryPort === 0) throw new ConfigError(`a pulse run on ${clickhouse.dataDir} is starting (pid ${live.pid}); query again in a moment`)
      // The client's own error log would print the failure a second time, stack and all.
      const client = createClient({ url: `http://127.0.0.1:${live.queryPort}`, log: { level: ClickHouseLogLevel.OFF } })
      return { client, close: () => client.close() }
    }
  }
  const connection = connectClickHouse(clickhouse)
  return { client: connection.client, close: () => connection.close() }
}
