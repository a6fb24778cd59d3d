// `pulse collect`: the HTTP collector role, alone (a docker-compose service, as many as the load needs)
// or inside `pulse run`. Events go on the client-events stream through the configured transport;
// rejected ones go straight to dead_letters through the ClickHouse sink: putting them on the stream
// would have the processors reject them again under their own stage, losing `collect` and its reason.
import type { Config } from '../runtime/config.ts'
import { serveOps } from '../runtime/ops-server.ts'
import { KIND_HANDLERS } from '../processors/kinds.ts'
import { columnProblem } from '../schemas/column-check.ts'
import type { Row } from '../pipeline/rows.ts'
import type { Sink } from '../pipeline/sink.ts'
import type { Transport } from '../producers/transport.ts'
import { loadWriteKeys, startCollector, type CollectorServer, type EventCheck } from '../producers/collector/index.ts'
import { openSink, openStreams, type Runtime } from './roles.ts'
import { stopSignal } from './signals.ts'

/** The processors' own rules for a client event, so the collector refuses exactly what they would. */
export function pipelineEventCheck(): EventCheck {
  const handler = KIND_HANDLERS.client_event
  return (event, receivedAtMs) => {
    const verdict = handler.validate(event, receivedAtMs)
    if (!verdict.ok) return { reason: verdict.reason, detail: verdict.detail }
    const problem = columnProblem(handler.table, handler.row(event, { ingestTimeMs: receivedAtMs, partition: '', position: '' }))
    return problem === undefined ? undefined : { reason: 'out_of_range', detail: problem }
  }
}

export function deadLetterWriter(sink: Sink): (rows: readonly Row[]) => Promise<void> {
  return async (rows) => {
    const refused = await sink.write({ table: 'dead_letters', rows, token: undefined })
    if (refused.length > 0) throw new Error(`ClickHouse refused ${refused.length} dead-letter row(s): ${refused[0]?.error ?? ''}`)
  }
}

/** Whether `pulse run` should start the collector: only with write keys, since it would refuse all else. */
export function collectorConfigured(config: Config): boolean {
  return config.collect.keys.length > 0 || config.collect.keysFile !== undefined
}

export async function openCollector(runtime: Runtime, transport: Transport, stream: string, sink: Sink): Promise<CollectorServer> {
  const { collect } = runtime.config
  const keys = loadWriteKeys(collect.keys, collect.keysFile)
  const server = await startCollector({
    host: collect.host,
    port: collect.port,
    allowedOrigins: collect.allowedOrigins,
    keys,
    eventsPerSecond: collect.eventsPerSecond,
    limits: { maxBodyBytes: collect.maxBodyBytes, maxEventBytes: collect.maxEventBytes, maxInFlightEvents: collect.maxInFlightEvents, produceTimeoutMs: collect.produceTimeoutMs },
    transport,
    stream,
    check: pipelineEventCheck(),
    writeDeadLetters: deadLetterWriter(sink),
    registry: runtime.registry,
    logger: runtime.logger.child({ component: 'collector' }),
  })
  // The number of keys, never the keys.
  runtime.logger.info({ url: `http://${collect.host}:${server.port}/v1/events`, writeKeys: keys.size, stream }, 'collector up')
  return server
}

export async function runCollect(runtime: Runtime): Promise<number> {
  const { config, registry } = runtime
  const stopping = stopSignal(config.duration)
  const sinkParts = await openSink(runtime, stopping.hardStop)
  const streams = await openStreams(runtime, false)
  const transport = streams.transport()
  try {
    await transport.ensureStreams([streams.streams.client_event])
    // The ops endpoint listens where the collector does (127.0.0.1 unless --collect-host says otherwise).
    const ops = await serveOps(registry, config.http.metricsPort, { sink: () => sinkParts.sink.isWritable }, config.collect.host)
    const collector = await openCollector(runtime, transport, streams.streams.client_event, sinkParts.sink)
    await stopping.stopped
    await collector.close()
    await ops.close()
  } finally {
    stopping.dispose()
    await transport.close()
    await streams.close()
    await sinkParts.clickhouse.close()
  }
  return 0
}
