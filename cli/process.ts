// `pulse process`: the consuming role alone (source → processors → ClickHouse), as one container of
// many. Several of them in one Kafka consumer group share the partitions.
import { serveOps } from '../runtime/ops-server.ts'
import { errorMessage } from '../runtime/errors.ts'
import { openSink, openStreams, streamProcessor, type Runtime } from './roles.ts'
import { stopSignal } from './signals.ts'
import { liveRoutes } from './live/index.ts'

export async function runProcess(runtime: Runtime): Promise<number> {
  const { config, logger, registry } = runtime
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
    const ops = await serveOps(registry, config.http.metricsPort, readiness, undefined, liveRoutes(registry, sinkParts.clickhouse.client, config.clickhouse.database))
    try {
      await processor.start()
      logger.info({ source: config.source, streams: streams.streams }, 'processing')
      await stopping.stopped
      if (fatal === undefined) await processor.stop()
      else await processor.abandon()
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
