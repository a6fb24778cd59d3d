// `pulse run`: every role in one process. On the embedded default it starts a Kinesis emulator and
// the ClickHouse engine in the data directory, generates traffic, processes it into ClickHouse, serves
// /metrics and the ClickHouse HTTP interface, prints a status line a second, and on Ctrl-C or after
// --duration stops producing, lets the processor catch up, flushes everything and prints a summary.
import { setTimeout as sleep } from 'node:timers/promises'
import { generatedTraffic } from './produce.ts'
import { driveTraffic } from '../producers/driver.ts'
import { serveOps } from '../runtime/ops-server.ts'
import { openEmbeddedAccess, serveEmbeddedClickHouse } from '../sinks/clickhouse/embedded-http.ts'
import { writeRunFile } from './run-file.ts'
import { openWhenFree } from '../sinks/clickhouse/directory-lock.ts'
import { mkdirSync } from 'node:fs'
import { printStatusUntilStopped, readTotals } from './status.ts'
import { formatSummary, outcomeOf, rawRowsSince } from './summary.ts'
import { assertPortsFree, type WantedPort } from './port-check.ts'
import { openSink, openStreams, streamProcessor, type Runtime } from './roles.ts'
import { stopSignal } from './signals.ts'
import { errorMessage } from '../runtime/errors.ts'
import { collectorConfigured, openCollector } from './collect.ts'
import { liveRoutes } from './live/index.ts'

const CATCH_UP_LIMIT_MS = 15_000

export async function runAll(runtime: Runtime, out: NodeJS.WritableStream): Promise<number> {
  const { config, logger, registry } = runtime
  // --duration counts traffic time: the clock starts once set-up is done, so a slow start on a
  // loaded machine does not eat into the run.
  const stopping = stopSignal(undefined)
  const cleanups: (() => Promise<void> | void)[] = []
  let fatal: unknown
  const failWith = (error: unknown): void => {
    fatal ??= error
    stopping.stop()
  }
  try {
    await assertPortsFree(runPorts(config))
    if (config.clickhouse.url === undefined) {
      // Claim the data directory before opening it, so a `pulse query` started meanwhile waits for
      // the run instead of taking libchdb's one-process lock from under it.
      mkdirSync(config.clickhouse.dataDir, { recursive: true })
      cleanups.push(writeRunFile(config.clickhouse.dataDir, { pid: process.pid, queryPort: 0, metricsPort: 0 }))
      // The engine's users and roles for the query interface: the process's first chDB connection.
      const access = await openWhenFree(config.clickhouse.dataDir, () => openEmbeddedAccess(config.clickhouse.dataDir))
      cleanups.push(() => access.close())
    }
    const sinkParts = await openSink(runtime, stopping.hardStop)
    cleanups.push(() => sinkParts.clickhouse.close())
    const streams = await openStreams(runtime, true)
    cleanups.push(() => streams.close())
    streams.onFailure(failWith)
    const transport = streams.transport()
    await transport.ensureStreams(Object.values(streams.streams))

    const source = streams.source(sinkParts.store)
    const processor = streamProcessor(runtime, sinkParts, source, streams.streams, failWith)
    const ops = await serveOps(
      registry,
      config.http.metricsPort,
      { source: () => source.isConnected, sink: () => sinkParts.sink.isWritable },
      config.http.metricsHost,
      liveRoutes(registry, sinkParts.clickhouse.client, config.clickhouse.database),
    )
    cleanups.push(() => ops.close())
    if (sinkParts.clickhouse.embedded !== undefined) {
      const queries = await serveEmbeddedClickHouse(sinkParts.clickhouse.embedded, config.http.queryPort, logger, { allowedOrigins: config.http.queryAllowedOrigins })
      cleanups.push(() => queries.close())
      cleanups.push(writeRunFile(config.clickhouse.dataDir, { pid: process.pid, queryPort: queries.port, metricsPort: ops.port }))
      logger.info({ queryPort: queries.port }, 'embedded ClickHouse served over HTTP')
    }
    logger.info({ metrics: `http://127.0.0.1:${ops.port}/metrics` }, 'operations endpoint up')
    // Stopped with the traffic, before the transport closes: a request after that could not be delivered.
    const collector = collectorConfigured(config) ? await openCollector(runtime, transport, streams.streams.client_event, sinkParts.sink) : undefined
    if (collector !== undefined) cleanups.push(() => collector.close())
    await processor.start()

    const producing = new AbortController()
    const start = Date.now()
    stopping.startClock(config.duration)
    const traffics = generatedTraffic(config, 'all', start)
    const driving = driveTraffic({ transport, streams: streams.streams, traffics, logger, signal: producing.signal })
    driving.catch(failWith)

    await printStatusUntilStopped({ registry, out, start, processed: () => processor.recordsProcessed, stopped: stopping.stopped, source: config.source, role: 'run' })

    producing.abort()
    await collector?.close()
    if (fatal !== undefined) {
      // Nothing more is flushed after a fatal error: what is not committed is replayed next time.
      await processor.abandon()
      return fail(fatal)
    }
    await driving.catch(() => undefined)
    out.write(`stopping… (flushing ${processor.bufferedRows.toLocaleString('en-US')} rows; Ctrl-C again to abort)\n`)
    // Someone pressed Ctrl-C: stop now; what is still on the stream waits there for the next run.
    // At the end of --duration, the processor first catches up with what was produced.
    if (!stopping.byUser) await catchUp(runtime, () => processor.recordsProcessed)
    await processor.stop()
    await transport.close()
    const totals = await readTotals(registry, processor.recordsProcessed)
    const rows = await rawRowsSince(sinkParts.clickhouse.client, config.clickhouse.database, start)
    const dataDir = config.clickhouse.url === undefined ? config.clickhouse.dataDir : undefined
    out.write(formatSummary(outcomeOf(totals), (Date.now() - start) / 1000, rows, { database: config.clickhouse.database, dataDir }))
  } catch (error) {
    fatal ??= error
  } finally {
    stopping.dispose()
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
  return fatal === undefined ? 0 : fail(fatal)
}

/** The ports `pulse run` will listen on, by the flag that sets each. */
function runPorts(config: Runtime['config']): WantedPort[] {
  const ports: WantedPort[] = [{ port: config.http.metricsPort, host: config.http.metricsHost, flag: 'metrics-port' }]
  if (config.clickhouse.url === undefined) ports.push({ port: config.http.queryPort, host: '127.0.0.1', flag: 'query-port' })
  if (config.source === 'kinesis' && config.kinesis.endpoint === undefined) ports.push({ port: config.kinesis.emulatorPort, host: '0.0.0.0', flag: 'kinesis-port' })
  return ports
}

function fail(error: unknown): never {
  throw error instanceof Error ? error : new Error(errorMessage(error))
}

/** After producing stops, waits (bounded) until the processor has read everything produced. */
async function catchUp(runtime: Runtime, processed: () => number): Promise<void> {
  const deadline = Date.now() + CATCH_UP_LIMIT_MS
  while (Date.now() < deadline) {
    const totals = await readTotals(runtime.registry, processed())
    if (totals.processed >= totals.produced) return
    await sleep(200)
  }
  runtime.logger.warn('stopping before the processor caught up; the rest stays on the stream for the next run')
}
