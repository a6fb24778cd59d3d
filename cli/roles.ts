// The pieces each role is built from, so `pulse run` (all roles in one process), `pulse produce` and
// `pulse process` assemble the same objects the same way.
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Config } from '../runtime/config.ts'
import { connectWhenFree, type ClickHouse } from '../sinks/clickhouse/connection.ts'
import { ClickHouseSink } from '../sinks/clickhouse/sink.ts'
import { createSinkMetrics } from '../sinks/clickhouse/metrics.ts'
import { ClickHouseCheckpointStore } from '../sinks/clickhouse/checkpoint-store.ts'
import { ClickHouseStateStore } from '../sinks/clickhouse/state-store.ts'
import type { CheckpointStore } from '../pipeline/checkpoint.ts'
import type { StateStore } from '../pipeline/state.ts'
import { createFanOutClient, createKinesisClient, streamNames } from '../processors/source/kinesis/client.ts'
import type { FanOutSettings } from '../processors/source/kinesis/fanout-shard.ts'
import { createSubscriptionMetrics } from '../processors/source/kinesis/subscription-metrics.ts'
import { startKinesisEmulator, type KinesisEmulator } from '../infra/kinesis/emulator.ts'
import { KinesisTransport } from '../producers/kinesis/kinesis-transport.ts'
import { createProducerMetrics, type ProducerMetrics } from '../producers/metrics.ts'
import { KinesisSource } from '../processors/source/kinesis/kinesis-source.ts'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { createDynamoClient } from '../processors/source/kinesis/dynamodb-client.ts'
import { LeaseTable } from '../processors/source/kinesis/lease-table.ts'
import { LeaseCoordinator } from '../processors/source/kinesis/lease-coordinator.ts'
import { createLeaseMetrics } from '../processors/source/kinesis/lease-metrics.ts'
import { startDynalite, type DynaliteServer } from '../infra/dynamodb/dynalite.ts'
import { createSourceMetrics } from '../processors/source/metrics.ts'
import { StreamProcessor } from '../processors/stream-processor.ts'
import type { RecordKind } from '../schemas/types.ts'
import { configuredFormat } from '../schemas/flow-log/format.ts'
import { SchemaRegistryClient } from '../schemas/confluent/registry-client.ts'
import { WriterSchemas } from '../schemas/confluent/writer-schemas.ts'
import { ConfluentTransport } from '../producers/confluent-transport.ts'
import { errorMessage } from '../runtime/errors.ts'
import { worthLogging } from '../runtime/retry.ts'
import type { Source } from '../pipeline/source.ts'
import type { Transport } from '../producers/transport.ts'
import type { Kafka } from 'kafkajs'
import { createKafka, topicNames } from '../processors/source/kafka/client.ts'
import { kafkaClientSecurity, type KafkaClientSecurity } from '../processors/source/kafka/security.ts'
import { checkBrokerCertificate } from '../processors/source/kafka/connect-failure.ts'
import { KafkaSource } from '../processors/source/kafka/kafka-source.ts'
import { KafkaTransport } from '../producers/kafka/kafka-transport.ts'

export interface Runtime {
  config: Config
  logger: Logger
  registry: Registry
}

export interface SinkParts {
  clickhouse: ClickHouse
  sink: ClickHouseSink
  /** ClickHouse's, with the reads the Kafka fence needs (partition-fence.ts). */
  store: ClickHouseCheckpointStore
  state: StateStore
}

export async function openSink(runtime: Runtime, signal: AbortSignal): Promise<SinkParts> {
  const { config, logger, registry } = runtime
  const clickhouse = await connectWhenFree(config.clickhouse)
  const sink = new ClickHouseSink(clickhouse, {
    database: config.clickhouse.database,
    metrics: sinkMetricsOnce(registry),
    logger: logger.child({ component: 'sink' }),
    signal,
  })
  const report = await sink.start()
  logger.info({ clickhouse: clickhouse.location, database: sink.database, applied: report.applied }, 'ClickHouse schema ready')
  const store = new ClickHouseCheckpointStore(clickhouse.client, config.clickhouse.database, `${hostname()}:${process.pid}`)
  const state = new ClickHouseStateStore(clickhouse.client, config.clickhouse.database)
  return { clickhouse, sink, store, state }
}

// The sink and the flusher share one set of sink metrics per registry.
const sinkMetricsByRegistry = new WeakMap<Registry, ReturnType<typeof createSinkMetrics>>()
export function sinkMetricsOnce(registry: Registry): ReturnType<typeof createSinkMetrics> {
  let metrics = sinkMetricsByRegistry.get(registry)
  if (metrics === undefined) {
    metrics = createSinkMetrics(registry)
    sinkMetricsByRegistry.set(registry, metrics)
  }
  return metrics
}

export interface KinesisParts {
  client: KinesisClient
  streams: Record<RecordKind, string>
  emulator: KinesisEmulator | undefined
  /** The lease table's DynamoDB, and the dynalite Pulse started for it on the embedded default. */
  dynamo: DynamoDBClient
  dynalite: DynaliteServer | undefined
}

/** Connects to Kinesis; on the embedded default, first starts the emulator with its data in the data directory. */
export async function openKinesis(runtime: Runtime, embedded: boolean): Promise<KinesisParts> {
  const { config, logger } = runtime
  let emulator: KinesisEmulator | undefined
  let endpoint = config.kinesis.endpoint
  if (endpoint === undefined && embedded) {
    emulator = await startKinesisEmulator({ port: config.kinesis.emulatorPort, persistDir: join(config.clickhouse.dataDir, 'kinesis') })
    endpoint = emulator.endpoint
    logger.info({ endpoint }, 'Kinesis emulator started')
    if (emulator.repair === 'restored') logger.warn('the Kinesis emulator state file was cut short (a hard kill while it was written); started from the last whole copy, a few seconds older')
    if (emulator.repair === 'discarded') logger.error('the Kinesis emulator state file was damaged and no whole copy was kept; it was set aside and the streams start empty')
  }
  const client = createKinesisClient({ endpoint, region: config.kinesis.region })
  let dynalite: DynaliteServer | undefined
  let dynamoEndpoint = config.kinesis.dynamodbEndpoint
  if (dynamoEndpoint === undefined && embedded) {
    dynalite = await startDynalite({ port: config.kinesis.dynamodbPort, persistDir: join(config.clickhouse.dataDir, 'dynamodb') })
    dynamoEndpoint = dynalite.endpoint
    logger.info({ endpoint: dynamoEndpoint }, 'dynalite (lease table) started')
  }
  const dynamo = createDynamoClient({ endpoint: dynamoEndpoint, region: config.kinesis.region })
  return { client, streams: streamNames(config.kinesis.streamPrefix), emulator, dynamo, dynalite }
}

export function leaseTableName(config: Config): string {
  return config.kinesis.leaseTable ?? `${config.kinesis.streamPrefix}-leases`
}

export function kinesisTransport(runtime: Runtime, kinesis: KinesisParts): { transport: KinesisTransport; metrics: ProducerMetrics } {
  const metrics = createProducerMetrics(runtime.registry)
  const transport = new KinesisTransport({
    client: kinesis.client,
    shards: runtime.config.kinesis.shards,
    metrics,
    logger: runtime.logger.child({ component: 'producer' }),
  })
  return { transport, metrics }
}

export function kinesisSource(runtime: Runtime, kinesis: KinesisParts, store: CheckpointStore): Source {
  const { config } = runtime
  const table = new LeaseTable(kinesis.dynamo, leaseTableName(config))
  const leases = new LeaseCoordinator({
    table,
    workerId: config.kinesis.workerId ?? `${hostname()}:${process.pid}`,
    leaseDurationMs: config.kinesis.leaseDurationMs,
    renewIntervalMs: config.kinesis.leaseRenewIntervalMs,
    // The dynalite Pulse started serves this process alone: leases not held here are a dead predecessor's.
    exclusive: kinesis.dynalite !== undefined,
    metrics: createLeaseMetrics(runtime.registry),
    logger: runtime.logger.child({ component: 'leases' }),
  })
  return new KinesisSource({
    client: kinesis.client,
    streams: streamsToRead(runtime.config, kinesis.streams),
    checkpoints: store,
    table,
    leases,
    discoveryIntervalMs: config.kinesis.discoveryIntervalMs,
    pollIntervalMs: runtime.config.kinesis.pollIntervalMs,
    fanOut: fanOutSettings(runtime, kinesis),
    metrics: createSourceMetrics(runtime.registry),
    logger: runtime.logger.child({ component: 'source' }),
  })
}

/** `--kinesis-consumer`: enhanced fan-out, over HTTP/1.1 only when asked or on the emulator Pulse started. */
function fanOutSettings(runtime: Runtime, kinesis: KinesisParts): FanOutSettings | undefined {
  const { kinesis: settings } = runtime.config
  if (settings.consumer === undefined) return undefined
  const endpoint = kinesis.emulator?.endpoint ?? settings.endpoint
  return {
    client: createFanOutClient({ endpoint, region: settings.region, http1: settings.fanoutHttp1 || kinesis.emulator !== undefined }),
    consumerName: settings.consumer,
    renewAfterMs: settings.subscriptionRenewMs,
    subscriptions: createSubscriptionMetrics(runtime.registry),
  }
}

/** Pulse's own streams, and the foreign flow log stream when one is set (`--flow-log-stream`). */
export function streamsToRead(config: Config, streams: Record<RecordKind, string>): string[] {
  const own = Object.values(streams)
  const foreign = config.flowLogs.stream
  return foreign === undefined || own.includes(foreign) ? own : [...own, foreign]
}

export function kindOfStream(streams: Record<RecordKind, string>, flowLogStream?: string): (stream: string) => RecordKind {
  const byStream = new Map(Object.entries(streams).map(([kind, stream]) => [stream, kind as RecordKind]))
  if (flowLogStream !== undefined) byStream.set(flowLogStream, 'network_flow')
  return (stream) => {
    const kind = byStream.get(stream)
    if (kind === undefined) throw new Error(`no record kind is read from stream ${stream}`)
    return kind
  }
}

export function streamProcessor(runtime: Runtime, parts: SinkParts, source: Source, streams: Record<RecordKind, string>, onFatal: (error: unknown) => void): StreamProcessor {
  const { config } = runtime
  return new StreamProcessor({
    source,
    sink: parts.sink,
    // Kinesis checkpoints go through the lease fence, Kafka's through the partition claims.
    checkpoints: source instanceof KinesisSource || source instanceof KafkaSource ? source.fenced() : parts.store,
    state: parts.state,
    kindOf: kindOfStream(streams, config.flowLogs.stream),
    assignmentStream: streams.ip_assignment,
    flowFormat: configuredFormat(config.flowLogs.format),
    ...writerSchemasOption(runtime),
    registry: runtime.registry,
    logger: runtime.logger.child({ component: 'processor' }),
    batchRows: config.clickhouse.batchRows,
    flushIntervalMs: config.clickhouse.flushIntervalMs,
    dedup: config.clickhouse.dedup,
    processing: { ...config.processing, windowMs: config.processing.windowSeconds * 1000 },
    freshness: sinkMetricsOnce(runtime.registry).freshnessSeconds,
    bufferedRows: sinkMetricsOnce(runtime.registry).bufferedRows,
    maxBufferedBytes: config.clickhouse.maxBufferedBytes,
    onFatal,
  })
}

export function registryClient(config: Config): SchemaRegistryClient | undefined {
  const { url, username, password } = config.schemaRegistry
  return url === undefined ? undefined : new SchemaRegistryClient({ url, username, password })
}

/** Writer schemas from the registry, retried without end while it is down (the batch waits, nothing is dead-lettered). */
function writerSchemasOption(runtime: Runtime): { writerSchemas?: WriterSchemas } {
  const client = registryClient(runtime.config)
  if (client === undefined) return {}
  const logger = runtime.logger.child({ component: 'processor' })
  const onRetry = (error: unknown, attempt: number): void => {
    if (worthLogging(attempt)) logger.warn({ err: errorMessage(error), attempt }, 'schema registry unavailable; the batch waits')
  }
  return { writerSchemas: new WriterSchemas(client, { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 200, maxDelayMs: 10_000, onRetry }) }
}

/** `--wire-format confluent` wraps the transport so records are framed with registry ids. */
function framed(runtime: Runtime, transport: Transport, streams: Record<RecordKind, string>): Transport {
  const client = registryClient(runtime.config)
  if (runtime.config.producer.wireFormat !== 'confluent' || client === undefined) return transport
  return new ConfluentTransport(transport, client, kindOfStream(streams))
}

/** The stream side of a role, whichever carries the records: names, a transport, a source. */
export interface StreamParts {
  streams: Record<RecordKind, string>
  transport(): Transport
  source(store: SinkParts['store']): Source
  /** Calls `listener` when a part the stream depends on dies (the embedded emulator). */
  onFailure(listener: (error: Error) => void): void
  close(): Promise<void>
}

/** Opens the configured stream; `embedded` lets Kinesis start its emulator when no endpoint is set. */
export async function openStreams(runtime: Runtime, embedded: boolean): Promise<StreamParts> {
  if (runtime.config.source === 'kafka') return openKafkaStreams(runtime)
  const kinesis = await openKinesis(runtime, embedded)
  return {
    streams: kinesis.streams,
    transport: () => framed(runtime, kinesisTransport(runtime, kinesis).transport, kinesis.streams),
    source: (store) => kinesisSource(runtime, kinesis, store),
    onFailure: (listener) => kinesis.emulator?.onUnexpectedExit(listener),
    close: async () => {
      kinesis.client.destroy()
      kinesis.dynamo.destroy()
      await Promise.all([kinesis.emulator?.stop(), kinesis.dynalite?.stop()])
    },
  }
}

export interface KafkaParts {
  kafka: Kafka
  streams: Record<RecordKind, string>
  /** The TLS and SASL options every client of `kafka` uses (absent: PLAINTEXT). */
  security: KafkaClientSecurity
}

/** Kafka is never embedded: `npm run kafka:up` starts a local broker (README, "Kafka"). */
export function openKafka(runtime: Runtime): KafkaParts {
  const { brokers, topicPrefix } = runtime.config.kafka
  const security = kafkaClientSecurity(runtime.config.kafka)
  const kafka = createKafka({ brokers, clientId: `pulse-${hostname()}-${process.pid}`, logger: runtime.logger, security })
  return { kafka, streams: topicNames(topicPrefix), security }
}

export function kafkaTransport(runtime: Runtime, parts: KafkaParts): KafkaTransport {
  const { brokers, partitions } = runtime.config.kafka
  return new KafkaTransport({ kafka: parts.kafka, brokers, partitions, metrics: createProducerMetrics(runtime.registry), logger: runtime.logger.child({ component: 'producer' }) })
}

export function kafkaSource(runtime: Runtime, parts: KafkaParts, store: SinkParts['store']): KafkaSource {
  const { brokers, partitions, groupId, sessionTimeoutMs } = runtime.config.kafka
  return new KafkaSource({
    kafka: parts.kafka,
    brokers,
    topics: streamsToRead(runtime.config, parts.streams),
    groupId,
    partitions,
    checkpoints: store,
    metrics: createSourceMetrics(runtime.registry),
    logger: runtime.logger.child({ component: 'source' }),
    sessionTimeoutMs,
    maxBufferedBytes: runtime.config.clickhouse.maxBufferedBytes,
  })
}

async function openKafkaStreams(runtime: Runtime): Promise<StreamParts> {
  const parts = openKafka(runtime)
  if (parts.security.ssl !== undefined) await checkBrokerCertificate(runtime.config.kafka.brokers, parts.security.ssl)
  return {
    streams: parts.streams,
    transport: () => framed(runtime, kafkaTransport(runtime, parts), parts.streams),
    source: (store) => kafkaSource(runtime, parts, store),
    // The broker is not Pulse's child: its failures reach the source and the transport.
    onFailure: () => undefined,
    // The producer and the consumer disconnect in close() and stop(); the Kafka object holds nothing else.
    close: () => Promise.resolve(),
  }
}
