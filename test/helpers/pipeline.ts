// Builds Pulse's roles the way the CLI does, on the shared real services, with a unique database and
// stream prefix per test, and tears them down when the test ends.
import { onTestFinished, inject } from 'vitest'
import { loadConfig, type Config, type ConfigInput } from '../../runtime/config.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { kinesisSource, kinesisTransport, openKinesis, openSink, streamProcessor, type KinesisParts, type Runtime, type SinkParts } from '../../cli/roles.ts'
import type { StreamProcessor } from '../../processors/stream-processor.ts'
import type { Source } from '../../pipeline/source.ts'
import type { RecordKind } from '../../schemas/types.ts'
import type { KinesisTransport } from '../../producers/kinesis/kinesis-transport.ts'
import { embeddedClickHouse, testLogger, uniqueName } from './services.ts'

export interface TestPipeline {
  runtime: Runtime
  config: Config
  kinesis: KinesisParts
  transport: KinesisTransport
  database: string
}

/** `shardsOf` gives some streams a shard count of their own (created before the rest). */
export async function kinesisPipeline(overrides: Partial<ConfigInput> = {}, shardsOf: Partial<Record<RecordKind, number>> = {}): Promise<TestPipeline> {
  const { dataDir } = embeddedClickHouse()
  const database = uniqueName('pulse_test')
  const config = loadConfig({})
  const merged: Config = {
    ...config,
    ...overrides,
    kinesis: { ...config.kinesis, endpoint: inject('kinesisEndpoint'), dynamodbEndpoint: inject('dynamodbEndpoint'), streamPrefix: uniqueName('t').replaceAll('_', '-'), shards: 2, pollIntervalMs: 50, ...overrides.kinesis },
    clickhouse: { ...config.clickhouse, dataDir, database, flushIntervalMs: 200, ...overrides.clickhouse },
    // Tests that need assignments before flows produce them first, so flows need not wait.
    processing: { ...config.processing, enrichHoldBackMs: 0, ...overrides.processing },
  } as Config
  const runtime: Runtime = { config: merged, logger: testLogger().logger, registry: createRegistry() }
  const kinesis = await openKinesis(runtime, false)
  for (const [kind, shards] of Object.entries(shardsOf)) {
    const own = kinesisTransport({ ...runtime, config: { ...merged, kinesis: { ...merged.kinesis, shards } }, registry: createRegistry() }, kinesis).transport
    await own.ensureStreams([kinesis.streams[kind as RecordKind]])
  }
  const { transport } = kinesisTransport(runtime, kinesis)
  await transport.ensureStreams(Object.values(kinesis.streams))
  onTestFinished(() => transport.close())
  return { runtime, config: merged, kinesis, transport, database }
}

export interface RunningProcessor {
  processor: StreamProcessor
  source: Source
  sinkParts: SinkParts
  fatal: unknown[]
  stop(): Promise<void>
  /** Stops as a crash would: no final flush, no commit. */
  kill(): Promise<void>
}

/** Starts a processor role on the pipeline's Kinesis streams. */
export function startProcessor(pipeline: TestPipeline, decorate: (parts: SinkParts) => SinkParts = (parts) => parts): Promise<RunningProcessor> {
  return startProcessorRole(pipeline.runtime, pipeline.kinesis.streams, (runtime, store) => kinesisSource(runtime, pipeline.kinesis, store), decorate)
}

/**
 * Starts a processor role in this process as `pulse process` builds it, with a fresh registry so
 * several can run one after another (or side by side), stopped when the test ends.
 */
export async function startProcessorRole(
  base: Runtime,
  streams: Record<RecordKind, string>,
  makeSource: (runtime: Runtime, store: SinkParts['store']) => Source,
  decorate: (parts: SinkParts) => SinkParts = (parts) => parts,
): Promise<RunningProcessor> {
  const runtime: Runtime = { ...base, registry: createRegistry() }
  const abort = new AbortController()
  const sinkParts = decorate(await openSink(runtime, abort.signal))
  const source = makeSource(runtime, sinkParts.store)
  const fatal: unknown[] = []
  const processor = streamProcessor(runtime, sinkParts, source, streams, (error) => fatal.push(error))
  await processor.start()
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await processor.stop()
    abort.abort()
  }
  const kill = async (): Promise<void> => {
    stopped = true
    await processor.abandon()
    abort.abort()
  }
  onTestFinished(stop)
  return { processor, source, sinkParts, fatal, stop, kill }
}
