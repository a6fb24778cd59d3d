import type { SinkParts } from '../../cli/roles.ts'

// What the parent hands a contender's child process and what the child reports back (one JSON line each).
export type ContenderName = 'pulse' | 'pulse-raw' | 'pulse-server' | 'baseline' | 'kafka-engine' | 'ceiling'

/** Topic names of one workload: Avro (what Pulse reads) and a JSONEachRow copy (what ClickHouse reads). */
export interface Topics {
  /** Pulse's topic prefix: PREFIX-client-events, PREFIX-network-flows, PREFIX-ip-assignments (Avro). */
  prefix: string
  jsonClientEvents: string
  jsonFlows: string
}

export interface ChildTask {
  contender: ContenderName
  mode: 'drain' | 'paced'
  brokers: string
  topics: Topics
  /** Rows the contender must make visible: client events, then flows (0 in the paced run). */
  events: number
  flows: number
  dataDir: string
  seed: number
  /** Pulse → server only: the HTTP interface it writes to as pulse_writer; rows are counted as pulse_analyst. */
  clickhouse?: { url: string; username: string; password: string; analystPassword: string }
}

export interface ChildResult {
  contender: ContenderName
  mode: 'drain' | 'paced'
  seconds: number
  rows: number
  cpuSeconds: number
  peakRssBytes: number
  /** Paced run only: produce → visible, ms. */
  freshness?: { p50: number; p99: number; samples: number }
  /** Pulse only: rows ClickHouse acknowledged per table over the whole run (stop's final flush included). */
  rowsWritten?: Record<string, number>
  /** Ceiling only: records decoded per second on one core. */
  decode?: { avro: number; jsonParse: number; jsonCodec: number }
  /** Pulse → server only: the server process's own share, measured there. */
  server?: ServerResult
  /** Drain only: CPU seconds by kind of thread over the drain (measure.ts, threadCpuSeconds). */
  threads?: Record<string, number>
}

export interface ServerResult {
  cpuSeconds: number
  peakRssBytes: number
}

export const READY_LINE = 'READY'

/** A contender in its child: ClickHouse is ready (Pulse's migrations applied) before the clock starts. */
export interface Contender {
  /** Rows land in `${database}.client_events` and `${database}.network_flows`. */
  database: string
  sink: SinkParts
  /** Starts consuming; the clock runs from here. */
  start(): Promise<void>
  stop(): Promise<void>
  /** Rows written per table so far, where the contender counts them (Pulse's sink metric). */
  rowsWritten?: () => Promise<Record<string, number>>
}
