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
import { mkdirSync } from 'node:fs'
import { formatStatus, readTotals, type Totals } from './status.ts'
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
    if (config.clickhouse.url === undefined) {
      // Claim the data directory before opening it, so a `pulse query` started meanwhile waits for
      // the run instead of taking libchdb's one-process lock from under it.
      mkdirSync(config.clickhouse.dataDir, { recursive: true })
      cleanups.push(writeRunFile(config.clickhouse.dataDir, { pid: process.pid, queryPort: 0, metricsPort: 0 }))
      // The engine's users and roles for the query interface: the process's first chDB connection.
      const access = openEmbeddedAccess(config.clickhouse.dataDir)
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
      undefined,
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

    const first = await readTotals(registry, processor.recordsProcessed)
    await printStatusUntilStopped(runtime, out, start, first, () => processor.recordsProcessed, stopping.stopped)

    producing.abort()
    await collector?.close()
    if (fatal !== undefined) {
      // Nothing more is flushed after a fatal error: what is not committed is replayed next time.
      await processor.abandon()
      return fail(fatal)
    }
    await driving.catch(() => undefined)
    await catchUp(runtime, () => processor.recordsProcessed)
    await processor.stop()
    await transport.close()
    const totals = await readTotals(registry, processor.recordsProcessed)
    out.write(summary(totals, (Date.now() - start) / 1000, config.clickhouse.database))
  } catch (error) {
    fatal ??= error
  } finally {
    stopping.dispose()
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
  return fatal === undefined ? 0 : fail(fatal)
}

function fail(error: unknown): never {
  throw error instanceof Error ? error : new Error(errorMessage(error))
}

async function printStatusUntilStopped(runtime: Runtime, out: NodeJS.WritableStream, start: number, first: Totals, processed: () => number, stopped: Promise<void>): Promise<void> {
  let before = first
  const stop = stopped.then(() => 'stop' as const)
  for (;;) {
    const next = await Promise.race([sleep(1000).then(() => 'tick' as const), stop])
    if (next === 'stop') break
    const now = await readTotals(runtime.registry, processed())
    out.write(`${formatStatus((Date.now() - start) / 1000, now, before, 1, runtime.config.source)}\n`)
    before = now
  }
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

function summary(totals: Totals, seconds: number, database: string): string {
  return [
    '',
    `Pulse ran ${seconds.toFixed(1)} s: produced ${totals.produced.toLocaleString('en-US')} records, processed ${totals.processed.toLocaleString('en-US')},`,
    `wrote ${totals.rowsWritten.toLocaleString('en-US')} rows to ClickHouse, ${totals.deadLetters.toLocaleString('en-US')} dead letters.`,
    `Try: npx pulse query "SELECT event_type, count() FROM ${database}.client_events GROUP BY event_type ORDER BY 2 DESC"`,
    '',
  ].join('\n')
}
