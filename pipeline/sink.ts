// What the commit protocol needs from a sink: write a block under its deduplication token (retrying
// transient failures itself, so a resolved write is acknowledged), hand back the rows it refused as
// bad data, and run other writes the pipeline cannot do without under the same retry policy.
import type { Row } from './rows.ts'

export interface Block {
  table: string
  rows: readonly Row[]
  /** Deduplication token; undefined sends the block without one. */
  token: string | undefined
}

export interface RejectedRow {
  table: string
  row: Row
  error: string
}

export interface Sink {
  /** Inserts the block; resolves with the rows the database refused as bad data (usually none). */
  write(block: Block): Promise<RejectedRow[]>
  /** Runs `operation` (e.g. a checkpoint write) retrying transient failures as inserts are retried. */
  retrying<T>(what: string, operation: () => Promise<T>): Promise<T>
  /** True unless the last write attempt failed; /readyz reports it. */
  readonly isWritable: boolean
}
