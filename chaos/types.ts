// What a scenario is given, what it reports, and the options of a run.
import type { KafkaTransport } from '../producers/kafka/kafka-transport.ts'
import type { ChaosBroker } from './broker.ts'
import type { ChaosClickHouse } from './clickhouse.ts'
import type { ProcessorFleet } from './processors.ts'
import type { Progress } from './progress.ts'
import type { Rng } from './seeded.ts'

export const SCENARIOS = ['kafka-kills', 'negative-control', 'broker-restarts', 'clickhouse-outage', 'zombie'] as const
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
  partitions: number
  processors: number
  /** Pulse's --batch-rows, or its default; small runs use small blocks so a kill can land between an insert and its commit. */
  batchRows: number | undefined
  /** A drain with no new rows for this long has stalled (an outage adds its own length). */
  stallMs: number
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
  batchRows: undefined,
  stallMs: 90_000,
}

/** The services a run shares; every scenario makes its own topics, group and database. */
export interface ChaosEnv {
  broker: ChaosBroker
  clickhouse: ChaosClickHouse
  transport: KafkaTransport
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
  /** Faults injected so far, for the report when the scenario fails before its injector returns. */
  injected: { count: number }
  /** Free-text notes for the report (what a woken zombie did, say). */
  notes: string[]
}

export interface ScenarioResult {
  name: ScenarioName
  faults: string
  events: number
  flows: number
  lost: number
  duplicated: number
  deadLetters: number
  peakRssMiB: number
  longestRecoveryMs: number
  seconds: number
  passed: boolean
  /** Why it failed, or what is worth knowing when it passed. */
  notes: string[]
  logs: string[]
}
