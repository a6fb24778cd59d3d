// What the stages hand each other: rows for ClickHouse tables, each derived from one source record,
// and the key of the source partition they came from. The processors make them, the segments and
// the flusher carry them, a sink writes them; none of those needs to know the others' classes.

import type { RowBuffer } from './sink.ts'

/** One row of one table, by column name. */
export type Row = Record<string, unknown>

export interface DerivedRow {
  table: string
  row: Row
  /** Event time (epoch ms) of the record the row came from, for the freshness metric. */
  eventTimeMs?: number
  /**
   * Rows with the same key in one block become one row: 'sum' adds the named measure columns
   * (numbers, or numeric maps key by key) and keeps the rest of the first row, as partial aggregates
   * do; 'replace' keeps the latest, as a state row (a session) does.
   */
  combine?: { key: string; how: 'sum'; measures: readonly string[] } | { key: string; how: 'replace' }
}

export interface TableRows {
  /** Rows kept as objects: combined ones until the block is sealed (they join the buffer then), and any the table's row buffer could not encode. */
  rows: Row[]
  /** The rows written as they arrived, when the sink encodes this table's rows (pipeline/sink.ts, RowBuffer). */
  buffer?: RowBuffer
  eventTimesMs: number[]
  /** Index into rows of each combined key. */
  combined: Map<string, number>
}

/**
 * Per-minute partial sums of a block's rows of one table. Each row of `reads` is added as it enters
 * its block, so those rows can wait for their insert as the sink's bytes like any other (a sum read
 * from row objects at flush time kept every flow row of a block on the V8 heap until then); the sums
 * go out as rows of `writes` in the same block range.
 */
export interface Rollup {
  readonly reads: string
  readonly writes: string
  /** An empty sum for one block. */
  start(): RollupSum
}

export interface RollupSum {
  add(row: Row): void
  /** The sums so far, as rows of the rollup's `writes` table. */
  rows(): Row[]
}

/** A source partition: a Kafka topic's partition or a Kinesis stream's shard. */
export interface PartitionRef {
  stream: string
  partition: string
}

/** The one spelling of a partition as a map key ("stream/partition"); splitKey reads it back. */
export function partitionKey(stream: string, partition: string): string {
  return `${stream}/${partition}`
}

export function splitKey(key: string): PartitionRef {
  const slash = key.indexOf('/')
  return { stream: key.slice(0, slash), partition: key.slice(slash + 1) }
}
