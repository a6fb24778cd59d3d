// Encodes one table's rows for one block as they arrive, in RowBinary with every column of the table
// (the sink's Sink.rowBuffer). A block then waits for its insert as bytes, off the V8 heap, instead
// of as row objects that the garbage collector traces on every marking while they wait: measured in
// a default bench drain, V8's GC worker threads spent 11.5–12.1 CPU s per million events with rows
// kept as objects and 8.0–8.4 with client events encoded as they came (BENCHMARKS.md). A row the
// encoding cannot hold as it is (other column names, a value without one binary form, a value no
// column can take) is not appended: it stays an object and goes through encodeBlock with the rest of
// the block's objects, which falls back to JSON or refuses it as bad data as before.
import type { Row } from '../../../pipeline/rows.ts'
import type { EncodedRows, RowBuffer } from '../../../pipeline/sink.ts'
import { tableRowWriters } from './block-encoder.ts'
import { namesExactly } from './block-columns.ts'
import { ByteWriter } from './byte-writer.ts'
import type { ValueWriter } from './json-values.ts'

/** Small to start: a table of a quiet partition holds a few rows a block; the writer doubles as needed. */
const INITIAL_BYTES = 64 * 1024

export class BinaryRowBuffer implements RowBuffer {
  private readonly out = new ByteWriter(INITIAL_BYTES)
  private readonly starts: number[] = []
  private finished: EncodedRows | undefined

  constructor(
    private readonly columns: readonly string[],
    private readonly writers: readonly ValueWriter[],
  ) {}

  get rows(): number {
    return this.starts.length
  }

  append(row: Row): boolean {
    if (this.finished !== undefined) throw new Error('row buffer appended to after finish')
    if (!namesExactly(row, this.columns)) return false
    const start = this.out.pos
    try {
      for (let c = 0; c < this.columns.length; c++) (this.writers[c] as ValueWriter)(this.out, row[this.columns[c] as string])
    } catch {
      // Whatever stopped it (NotBinary, RowEncodingError, a bug), encodeBlock meets it again and decides.
      this.out.pos = start
      return false
    }
    this.starts.push(start)
    return true
  }

  finish(): EncodedRows {
    this.finished ??= { format: 'RowBinary', columns: this.columns, bytes: this.out.finish(), rowStarts: this.starts }
    return this.finished
  }
}

/** A buffer for the table's rows; undefined when the table is not one of Pulse's or has a column without a binary form. */
export function binaryRowBuffer(table: string): RowBuffer | undefined {
  const writers = tableRowWriters(table)
  return writers === undefined ? undefined : new BinaryRowBuffer(writers.columns, writers.writers)
}
