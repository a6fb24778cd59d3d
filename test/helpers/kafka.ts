// Pulse's Kafka roles on the shared test broker (global-setup.ts), built the way the CLI builds them:
// unique topics (topic prefix), consumer group and ClickHouse database per test, torn down at its end.
// Processors run in this process, or as real `pulse process` children pointed at this process's
// ClickHouse engine over its HTTP interface (libchdb lets only one process open a data directory).
import { inject, onTestFinished } from 'vitest'
import { generateClientTraffic, type ClientGenerated } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import { loadConfig, type Config } from '../../runtime/config.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { kafkaSource, kafkaTransport, openKafka, type KafkaParts, type Runtime } from '../../cli/roles.ts'
import { startProcessorRole, type RunningProcessor } from './pipeline.ts'
import type { KafkaTransport } from '../../producers/kafka/kafka-transport.ts'
import { serveEmbeddedClickHouse } from '../../sinks/clickhouse/embedded-http.ts'
import { embeddedClickHouse, testLogger, uniqueName } from './services.ts'

export const PARTITIONS = 3

export interface KafkaTestPipeline {
  runtime: Runtime
  config: Config
  kafka: KafkaParts
  transport: KafkaTransport
  database: string
}

export interface PipelineOverrides {
  clickhouse?: Partial<Config['clickhouse']>
  kafka?: Partial<Config['kafka']>
  processing?: Partial<Config['processing']>
}

export async function kafkaPipeline(overrides: PipelineOverrides = {}): Promise<KafkaTestPipeline> {
  const { dataDir } = embeddedClickHouse()
  const database = uniqueName('pulse_test')
  const config = loadConfig({})
  const merged: Config = {
    ...config,
    source: 'kafka',
    kafka: {
      ...config.kafka,
      brokers: [inject('kafkaBrokers')],
      topicPrefix: uniqueName('t').replaceAll('_', '-'),
      groupId: uniqueName('g'),
      partitions: PARTITIONS,
      // A killed processor's partitions move after 3 s instead of 10 (the test broker allows 2 s).
      sessionTimeoutMs: 3000,
      ...overrides.kafka,
    },
    clickhouse: { ...config.clickhouse, dataDir, database, flushIntervalMs: 200, ...overrides.clickhouse },
    processing: { ...config.processing, enrichHoldBackMs: 0, ...overrides.processing },
  }
  const runtime: Runtime = { config: merged, logger: testLogger().logger, registry: createRegistry() }
  const kafka = openKafka(runtime)
  const transport = kafkaTransport(runtime, kafka)
  await transport.ensureStreams(Object.values(kafka.streams))
  onTestFinished(() => transport.close())
  return { runtime, config: merged, kafka, transport, database }
}

/** Puts `count` generated client events (no deliberate duplicates) on the client-events topic. */
export async function produceClientEvents(pipeline: KafkaTestPipeline, count: number, seed: number): Promise<ClientGenerated[]> {
  const generated = generateClientTraffic({ seed, startTime: Date.now() - 120_000, duplicateFraction: 0 }, count)
  await pipeline.transport.send(
    pipeline.kafka.streams.client_event,
    generated.map((item) => ({ key: item.key, value: encode('client_event', item.record) })),
  )
  return generated
}

export type InProcessProcessor = RunningProcessor

/** A processor role in this process, with its own registry and Kafka client, in the pipeline's group. */
export function startKafkaProcessor(pipeline: KafkaTestPipeline): Promise<InProcessProcessor> {
  return startProcessorRole(pipeline.runtime, pipeline.kafka.streams, (runtime, store) => kafkaSource(runtime, openKafka(runtime), store))
}

/** Serves this process's ClickHouse engine over HTTP for child processes; closed when the test ends. */
export async function serveClickHouse(maxConcurrentQueries?: number): Promise<{ port: number; url: string }> {
  const { clickhouse } = embeddedClickHouse()
  if (clickhouse.embedded === undefined) throw new Error('the test ClickHouse is not embedded')
  const limit = maxConcurrentQueries === undefined ? {} : { maxConcurrentQueries }
  const server = await serveEmbeddedClickHouse(clickhouse.embedded, 0, testLogger().logger, { access: 'unrestricted', ...limit })
  onTestFinished(() => server.close())
  return { port: server.port, url: `http://127.0.0.1:${server.port}` }
}

/** The command line of a `pulse process` child reading this pipeline's topics into its database. */
export function processArgs(pipeline: KafkaTestPipeline, clickhouseUrl: string, extra: readonly string[] = []): string[] {
  const { kafka, clickhouse } = pipeline.config
  return [
    'process',
    '--source', 'kafka',
    '--brokers', kafka.brokers.join(','),
    '--topic-prefix', kafka.topicPrefix,
    '--group', kafka.groupId,
    '--partitions', String(kafka.partitions),
    '--kafka-session-timeout-ms', String(kafka.sessionTimeoutMs),
    '--clickhouse', clickhouseUrl,
    '--database', pipeline.database,
    '--batch-rows', String(clickhouse.batchRows),
    '--flush-interval-ms', String(clickhouse.flushIntervalMs),
    '--metrics-port', '0',
    ...extra,
  ]
}
