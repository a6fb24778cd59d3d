// `pulse process`: the consuming role alone (source → processors → ClickHouse), as one container of
// many. Several of them in one Kafka consumer group share the partitions.
import { serveOps } from '../runtime/ops-server.ts'
import { errorMessage } from '../runtime/errors.ts'
import { openSink, openStreams, streamProcessor, type Runtime } from './roles.ts'
import { stopSignal } from './signals.ts'
import { printStatusUntilStopped, readTotals } from './status.ts'
import { outcomeOf, processSummary } from './summary.ts'
import { assertPortsFree } from './port-check.ts'
import { liveRoutes } from './live/index.ts'

export async function runProcess(runtime: Runtime, out: NodeJS.WritableStream): Promise<number> {
  const { config, logger, registry } = runtime
  await assertPortsFree([{ port: config.http.metricsPort, host: config.http.metricsHost, flag: 'metrics-port' }])
  const stopping = stopSignal(config.duration)
  const sinkParts = await openSink(runtime, stopping.hardStop)
  const streams = await openStreams(runtime, false)
  let fatal: unknown
  try {
    const source = streams.source(sinkParts.store)
    const processor = streamProcessor(runtime, sinkParts, source, streams.streams, (error) => {
      fatal = error
      stopping.stop()
    })
    const readiness = { source: () => source.isConnected, sink: () => sinkParts.sink.isWritable }
    const ops = await serveOps(registry, config.http.metricsPort, readiness, config.http.metricsHost, liveRoutes(registry, sinkParts.clickhouse.client, config.clickhouse.database))
    try {
      await processor.start()
      logger.info({ source: config.source, streams: streams.streams }, 'processing')
      const start = Date.now()
      await printStatusUntilStopped({ registry, out, start, processed: () => processor.recordsProcessed, stopped: stopping.stopped, source: config.source, role: 'process' })
      if (fatal === undefined) {
        out.write(`stopping… (flushing ${processor.bufferedRows.toLocaleString('en-US')} rows)\n`)
        await processor.stop()
        out.write(processSummary(outcomeOf(await readTotals(registry, processor.recordsProcessed)), (Date.now() - start) / 1000))
      } else await processor.abandon()
    } finally {
      await ops.close()
    }
  } finally {
    stopping.dispose()
    await streams.close()
    await sinkParts.clickhouse.close()
  }
  if (fatal !== undefined) throw fatal instanceof Error ? fatal : new Error(errorMessage(fatal))
  return 0
}
