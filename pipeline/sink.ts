// What the commit protocol needs from a sink: write a block under its deduplication token (retrying
// transient failures itself, so a resolved write is acknowledged), hand back the rows it refused as
// bad data, and run other writes the pipeline cannot do without under the same retry policy. A sink
// may also encode rows as they arrive (rowBuffer): a block then holds bytes instead of row objects,
// so rows waiting for their insert are not objects the garbage collector must trace (issue 18).
import type { Row } from './rows.ts'

/** Rows already written in the sink's insert format, with where each row starts, so the block can be halved. */
export interface EncodedRows {
  format: string
  columns: readonly string[]
  bytes: Buffer
  /** Byte offset of each row in `bytes`, ascending. */
  rowStarts: readonly number[]
}

export interface Block {
  table: string
  rows: readonly Row[]
  /** Deduplication token; undefined sends the block without one. */
  token: string | undefined
  /** The block's rows as encoded bytes instead of `rows` (then empty). */
  encoded?: EncodedRows
}

export interface RejectedRow {
  table: string
  /** The refused row; undefined when it came encoded (then `encoded` holds its bytes). */
  row: Row | undefined
  encoded?: { format: string; bytes: Buffer }
  error: string
}

/** Encodes one table's rows as they arrive, for one block. */
export interface RowBuffer {
  /** Rows appended so far. */
  readonly rows: number
  /** Appends the row; false, with nothing appended, when this encoding cannot hold it (it stays a row object). */
  append(row: Row): boolean
  /** The block's bytes; nothing is appended after. */
  finish(): EncodedRows
}

export interface Sink {
  /** Inserts the block; resolves with the rows the database refused as bad data (usually none). */
  write(block: Block): Promise<RejectedRow[]>
  /** Runs `operation` (e.g. a checkpoint write) retrying transient failures as inserts are retried. */
  retrying<T>(what: string, operation: () => Promise<T>): Promise<T>
  /** True unless the last write attempt failed; /readyz reports it. */
  readonly isWritable: boolean
  /** A buffer encoding `table`'s rows for one block as they arrive; undefined when rows stay objects until the write. */
  rowBuffer?(table: string): RowBuffer | undefined
}
