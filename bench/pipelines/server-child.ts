// The "ClickHouse server" of the Pulse → server contender: the embedded engine in a process of its
// own, served on its HTTP interface with the same users and grants as the query port of `pulse run`,
// so Pulse writes over HTTP as `pulse_writer` exactly as it would to a server. Prints
// `READY <port>` once serving, and on SIGTERM one JSON line with its own CPU and peak RSS.
import { connectClickHouse } from '../../sinks/clickhouse/connection.ts'
import { openEmbeddedAccess, serveEmbeddedClickHouse } from '../../sinks/clickhouse/embedded-http.ts'
import { createLogger } from '../../runtime/logger.ts'
import { cpuSeconds, peakRssBytes } from './measure.ts'
import { READY_LINE, type ServerResult } from './types.ts'

const dataDir = process.argv[2]
if (dataDir === undefined) throw new Error('usage: server-child.ts DATA_DIR')
// Access first: libchdb reads its users from the process's first connection.
const access = openEmbeddedAccess(dataDir)
const engine = connectClickHouse({ dataDir, username: 'default', password: '' })
if (engine.embedded === undefined) throw new Error('expected the embedded engine')
// A server takes many queries at once (its max_concurrent_queries is in the hundreds); the query
// port of `pulse run` keeps 4 to protect the pipeline it shares the process with.
const server = await serveEmbeddedClickHouse(engine.embedded, 0, createLogger({ level: 'warn', pretty: false }), { maxConcurrentQueries: 64 })
const usage = process.resourceUsage()
process.stdout.write(`${READY_LINE} ${server.port}\n`)
process.once('SIGTERM', () => {
  const result: ServerResult = { cpuSeconds: cpuSeconds(usage), peakRssBytes: peakRssBytes() }
  process.stdout.write(`${JSON.stringify(result)}\n`)
  void server.close().then(async () => {
    await engine.close()
    access.close()
    process.exit(0)
  })
})
