// What a scenario is given, what it reports, and the options of a run.
import type { KafkaTransport } from '../producers/kafka/kafka-transport.ts'
import type { ChaosBroker } from './broker.ts'
import type { ChaosClickHouse } from './clickhouse.ts'
import type { ChaosKinesis, KinesisEmulatorName } from './kinesis.ts'
import type { ChaosExpectation } from './oracle-check.ts'
import type { ProcessorFleet } from './processors.ts'
import type { Progress } from './progress.ts'
import type { Rng } from './seeded.ts'
import type { StreamNames, WorkloadSpec } from './workload.ts'

export const SCENARIOS = ['kafka-kills', 'negative-control', 'broker-restarts', 'clickhouse-outage', 'zombie', 'kinesis-kills', 'kinesis-zombie', 'kinesis-reshard'] as const
export type ScenarioName = (typeof SCENARIOS)[number]

export interface ChaosOptions {
  events: number
  flows: number
  seed: number
  /** SIGKILLs in kafka-kills and negative-control. */
  kills: number
  brokerRestarts: number
  outageMs: number
  sessionTimeoutMs: number
  /** Partitions per Kafka topic, and shards per Kinesis stream. */
  partitions: number
  processors: number
  /** A Kinesis lease not renewed for this long is taken over (Pulse's --kinesis-lease-duration-ms). */
  leaseDurationMs: number
  /** The Kinesis scenarios' emulator (chaos/kinesis.ts says why kinesalite by default). */
  kinesisEmulator: KinesisEmulatorName
  /** Pulse's --batch-rows, or its default; small runs use small blocks so a kill can land between an insert and its commit. */
  batchRows: number | undefined
  /** A drain with no new rows for this long has stalled (an outage adds its own length). */
  stallMs: number
  /** The stop waits this long past the last fault's lease or session expiry: a takeover's restore and first flush. */
  settleAfterTakeoverMs: number
}

export const DEFAULTS: ChaosOptions = {
  events: 1_000_000,
  flows: 200_000,
  seed: 16,
  kills: 20,
  brokerRestarts: 5,
  outageMs: 60_000,
  // Short, so a killed member's partitions move in seconds; long enough that a loaded 2-core machine
  // does not expire live members (the broker allows down to 2 s).
  sessionTimeoutMs: 6000,
  partitions: 4,
  processors: 3,
  // As short as the Kafka session, for the same reason.
  leaseDurationMs: 6000,
  kinesisEmulator: 'kinesalite',
  batchRows: undefined,
  stallMs: 90_000,
  // Restores of a 250,000-event shard took 15–22 s in the default run's two lanes.
  settleAfterTakeoverMs: 30_000,
}

/**
 * The services a run shares. The Kafka scenarios read one set of topics, loaded once, each with a
 * consumer group and a database of its own (a consumer changes nothing on a topic); each Kinesis
 * scenario loads streams of its own (a reshard changes the stream).
 */
export interface ChaosKafka {
  broker: ChaosBroker
  transport: KafkaTransport
}

export interface ChaosEnv {
  clickhouse: ChaosClickHouse
  /** The broker and a producer on it, started at the first Kafka scenario (a Kinesis lane has none). */
  kafka(): Promise<ChaosKafka>
  /** The emulator and dynalite, started at the first Kinesis scenario. */
  kinesis(): Promise<ChaosKinesis>
  /** The run's topics holding the workload of `spec`, loaded at the first Kafka scenario that asks. */
  kafkaTopics(spec: WorkloadSpec): Promise<StreamNames>
  /** The oracle's tables for the workload of `spec`, computed once per run. */
  expectation(spec: WorkloadSpec): ChaosExpectation
  /** Event time of every load's first record: each load of the run makes the same records. */
  startTime: number
  runDir: string
  log: (line: string) => void
}

/** What a fault injector works with while the drain runs. */
export interface FaultContext {
  env: ChaosEnv
  options: ChaosOptions
  fleet: ProcessorFleet
  progress: Progress
  rng: Rng
  /** What the scenario's members read, and the workload on it (the reshard produces its second half). */
  streams: StreamNames
  spec: WorkloadSpec
  /** Faults injected so far, for the report when the scenario fails before its injector returns. */
  injected: { count: number }
  /** Free-text notes for the report (what a woken zombie did, say). */
  notes: string[]
  /** Aborted once the scenario has seen what it looks for (the negative control's duplicates): inject no more. */
  enough: AbortSignal
}

export interface ScenarioResult {
  name: ScenarioName
  faults: string
  events: number
  flows: number
  lost: number
  /** False for the negative control, which stops once duplicates show, before its drain ends. */
  lossJudged: boolean
  duplicated: number
  deadLetters: number
  /** Aggregates and sessions against the oracle: "9 tables equal", which differ, or why not compared. */
  oracle: string
  peakRssMiB: number
  longestRecoveryMs: number
  seconds: number
  passed: boolean
  /** Why it failed, or what is worth knowing when it passed. */
  notes: string[]
  logs: string[]
}
