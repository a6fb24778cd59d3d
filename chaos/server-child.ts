// The ClickHouse "server" of a chaos run: the embedded engine in a process of its own, served on its
// HTTP interface on a FIXED port, so the harness can stop this process (an outage) and start a new one
// on the same port and data dir, as an operator restarts a server. Unrestricted access, as the
// integration tests serve it: the faults under test are transport faults, not grants.
// Prints `READY <port>` once serving.
import { connectClickHouse } from '../sinks/clickhouse/connection.ts'
import { serveEmbeddedClickHouse } from '../sinks/clickhouse/embedded-http.ts'
import { createLogger } from '../runtime/logger.ts'

const [dataDir, portArg] = process.argv.slice(2)
if (dataDir === undefined || portArg === undefined) throw new Error('usage: server-child.ts DATA_DIR PORT')
const engine = connectClickHouse({ dataDir, username: 'default', password: '' })
if (engine.embedded === undefined) throw new Error('expected the embedded engine')
// Many slots: three processors (migrations, claims, checkpoints, inserts) and the harness's polling at
// once; the default 4 answers TOO_MANY_SIMULTANEOUS_QUERIES, which is no fault this harness injects.
const server = await serveEmbeddedClickHouse(engine.embedded, Number(portArg), createLogger({ level: 'warn', pretty: false }), { access: 'unrestricted', maxConcurrentQueries: 64 })
process.stdout.write(`READY ${server.port}\n`)
process.once('SIGTERM', () => {
  void server.close().then(async () => {
    await engine.close()
    process.exit(0)
  })
})
