// Contender 1: Pulse with its defaults, built the way `pulse process` builds it (cli/roles.ts): the
// Kafka source, StreamProcessor (decode, validate, enrich, aggregate, sessions) and the ClickHouse sink
// on the embedded engine in this process. Only the broker, topics, group and data dir are set.
import { loadConfig, type Config } from '../../runtime/config.ts'
import { createLogger } from '../../runtime/logger.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { errorMessage } from '../../runtime/errors.ts'
import { kafkaSource, openKafka, openSink, streamProcessor, type Runtime } from '../../cli/roles.ts'
import type { ChildTask, Contender } from './types.ts'

/** Rows ClickHouse acknowledged, by table: the sink's own counter (every table, raw and derived). */
async function rowsByTable(runtime: Runtime): Promise<Record<string, number>> {
  const metric = await runtime.registry.getSingleMetric('pulse_sink_rows_total')?.get()
  const rows: Record<string, number> = {}
  for (const value of metric?.values ?? []) rows[String(value.labels.table)] = (rows[String(value.labels.table)] ?? 0) + value.value
  return rows
}

export function pulseConfig(task: ChildTask, groupId: string): Config {
  const defaults = loadConfig({})
  return {
    ...defaults,
    source: 'kafka',
    logLevel: 'warn',
    kafka: { ...defaults.kafka, brokers: [task.brokers], topicPrefix: task.topics.prefix, groupId },
    // Pulse, raw rows only: the same pipeline with --no-derived (no aggregates, sessions or care).
    processing: { ...defaults.processing, derived: task.contender !== 'pulse-raw' },
    clickhouse: { ...defaults.clickhouse, dataDir: task.dataDir, ...(task.clickhouse === undefined ? {} : { url: task.clickhouse.url, username: task.clickhouse.username, password: task.clickhouse.password }) },
  }
}

export async function openPulse(task: ChildTask): Promise<Contender> {
  const config = pulseConfig(task, `bench-${task.contender}-${task.mode}`)
  const runtime: Runtime = { config, logger: createLogger({ level: 'warn', pretty: false }), registry: createRegistry() }
  const abort = new AbortController()
  const sink = await openSink(runtime, abort.signal)
  const source = kafkaSource(runtime, openKafka(runtime), sink.store)
  let fatal: unknown
  const processor = streamProcessor(runtime, sink, source, openKafka(runtime).streams, (error) => (fatal = error))
  return {
    database: config.clickhouse.database,
    sink,
    start: () => processor.start(),
    rowsWritten: () => rowsByTable(runtime),
    stop: async () => {
      await processor.stop()
      abort.abort()
      if (fatal !== undefined) throw fatal instanceof Error ? fatal : new Error(errorMessage(fatal))
    },
  }
}
