// The commit protocol, against in-memory implementations of the interfaces it meets: the intent is
// recorded before the insert, the position committed (in the store, then at the source) only after
// it, tokens name (table, source, partition, range), and rows the sink refuses become dead letters
// with the same column meanings as every other stage's.
import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { Histogram, Registry } from 'prom-client'
import type { Checkpoint, CheckpointStore } from '../../../pipeline/checkpoint.ts'
import { Flusher } from '../../../pipeline/flusher.ts'
import { PartitionSegments } from '../../../pipeline/segments.ts'
import type { Block, EncodedRows, RejectedRow, RowBuffer, Sink } from '../../../pipeline/sink.ts'
import type { Row } from '../../../pipeline/rows.ts'
import type { Source } from '../../../pipeline/source.ts'
import { columnsOf } from '../../../schemas/tables.ts'

const T0 = 1_700_000_000_000

function parts(refuse: (block: Block) => RejectedRow[] = () => [], rowBuffer?: (table: string) => RowBuffer | undefined) {
  const journal = { events: [] as string[] }
  const blocks: Block[] = []
  const checkpoints: Checkpoint[] = []
  const sink: Sink = {
    isWritable: true,
    write: (block) => {
      journal.events.push(`insert ${block.table}`)
      blocks.push(block)
      return Promise.resolve(refuse(block))
    },
    retrying: (_what, operation) => operation(),
  }
  const store: CheckpointStore = {
    load: () => Promise.resolve(new Map()),
    write: (written) => {
      for (const checkpoint of written) journal.events.push(checkpoint.pending === undefined ? `commit ${checkpoint.position ?? ''}` : `intent ${checkpoint.pending.from}-${checkpoint.pending.to}`)
      checkpoints.push(...written)
      return Promise.resolve()
    },
  }
  const source: Source = {
    name: 'kafka',
    isConnected: true,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    covers: () => Promise.resolve(true),
    commit: (stream, partition, position) => {
      journal.events.push(`source ${stream}/${partition}@${position}`)
      return Promise.resolve()
    },
  }
  const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 1000, ...(rowBuffer === undefined ? {} : { rowBuffer }) })
  const freshness = new Histogram({ name: 'freshness_seconds', help: 'test', labelNames: ['table'], registers: [new Registry()] })
  const flusher = new Flusher({ source, segments, sink, store, freshness, logger: pino({ level: 'silent' }), dedup: true, kindOf: () => 'client_event' })
  return { journal, blocks, checkpoints, segments, flusher }
}

/** Rows as JSON lines; a row marked `unencodable` is refused and stays an object. */
class JsonLinesBuffer implements RowBuffer {
  private readonly lines: string[] = []
  get rows(): number {
    return this.lines.length
  }
  append(row: Row): boolean {
    if (row.unencodable === true) return false
    this.lines.push(`${JSON.stringify(row)}\n`)
    return true
  }
  finish(): EncodedRows {
    const rowStarts: number[] = []
    let at = 0
    for (const line of this.lines) {
      rowStarts.push(at)
      at += Buffer.byteLength(line)
    }
    return { format: 'JSONEachRow', columns: ['source_position'], bytes: Buffer.from(this.lines.join('')), rowStarts }
  }
}

describe('Flusher', () => {
  it('records the intent, inserts, commits to the store and then to the source, in that order', async () => {
    const { journal, segments, flusher } = parts()
    segments.append('clicks/3', '10', [{ table: 'client_events', row: { source_position: '10' } }], T0)
    segments.append('clicks/3', '11', [{ table: 'client_events', row: { source_position: '11' } }], T0)
    await flusher.flush(true)
    expect(journal.events).toEqual(['intent 10-11', 'insert client_events', 'commit 11', 'source clicks/3@11'])
  })

  it('gives a replayed range the same token, and another range another one', async () => {
    const first = parts()
    const second = parts()
    for (const { segments, flusher } of [first, second]) {
      segments.append('clicks/3', '10', [{ table: 'client_events', row: {} }], T0)
      await flusher.flush(true)
    }
    first.segments.append('clicks/3', '12', [{ table: 'client_events', row: {} }], T0)
    await first.flusher.flush(true)
    expect(first.blocks[0]?.token).toBe(second.blocks[0]?.token)
    expect(first.blocks[1]?.token).not.toBe(first.blocks[0]?.token)
  })

  it('dead-letters refused rows with the record kind, the bare partition and the row position', async () => {
    const { blocks, segments, flusher } = parts((block) => (block.table === 'client_events' ? [{ table: block.table, row: block.rows[0] ?? {}, error: 'Code: 53. type mismatch' }] : []))
    segments.append('clicks/3', '10', [{ table: 'client_events', row: { source_position: '10' } }], T0)
    await flusher.flush(true)
    const letters = blocks.filter((block) => block.table === 'dead_letters')
    expect(letters).toHaveLength(1)
    const [letter] = letters[0]?.rows ?? []
    expect(Object.keys(letter ?? {})).toEqual(columnsOf('dead_letters').map(([name]) => name))
    expect(letter).toMatchObject({ stage: 'sink', reason: 'sink_rejected', kind: 'client_event', stream: 'clicks', partition: '3', position: '10', source: 'kafka' })
    expect(String(letter?.detail)).toBe('client_events: Code: 53. type mismatch')
  })

  it('records a snapshot block\'s label with its intent, and adopting it re-arms no cut', async () => {
    const { checkpoints, segments, flusher } = parts()
    segments.append('clicks/3', '10', [{ table: 'client_events', row: {} }], T0)
    segments.appendSnapshot('clicks/3', '10', [{ table: 'qoe_1m', row: {} }], T0, { highestEventTime: 1 }, 'idle@5')
    await flusher.flush(true)
    const intents = checkpoints.filter((checkpoint) => checkpoint.pending !== undefined)
    expect(intents.map((checkpoint) => checkpoint.pending)).toEqual([{ from: '10', to: '10' }, { from: '10', to: '10', snapshot: 'idle@5' }])
    // A replay after a crash at that snapshot: the next record seals on size, not at a cut.
    const replay = parts()
    replay.flusher.adopt({ ...(intents[1] as Checkpoint), position: '10' })
    replay.segments.append('clicks/3', '11', [{ table: 'client_events', row: {} }], T0)
    replay.segments.append('clicks/3', '12', [{ table: 'client_events', row: {} }], T0)
    expect(replay.segments.takeSealed(T0)).toEqual([])
  })

  it("sends a table's encoded rows as one block and the rows its buffer refused under a token of their own", async () => {
    const { blocks, segments, flusher } = parts(() => [], (table) => (table === 'client_events' ? new JsonLinesBuffer() : undefined))
    segments.append('clicks/3', '10', [{ table: 'client_events', row: { source_position: '10' } }], T0)
    segments.append('clicks/3', '11', [{ table: 'client_events', row: { source_position: '11', unencodable: true } }], T0)
    segments.append('clicks/3', '12', [{ table: 'client_events', row: { source_position: '12' } }, { table: 'playback_sessions', row: { session_id: 's' }, combine: { key: 's', how: 'replace' } }], T0)
    await flusher.flush(true)
    const events = blocks.filter((block) => block.table === 'client_events')
    expect(events.map((block) => [block.encoded?.bytes.toString().trim().split('\n').map((line) => (JSON.parse(line) as Row).source_position), block.rows.map((row) => row.source_position)])).toEqual([
      [['10', '12'], []],
      [undefined, ['11']],
    ])
    expect(events[1]?.token).toBe(`${String(events[0]?.token)}/rows`)
    expect(blocks.find((block) => block.table === 'playback_sessions')?.rows).toEqual([{ session_id: 's' }])
  })

  it("dead-letters an encoded row the sink refused with its bytes, and the block's end as its position", async () => {
    const refuse = (block: Block): RejectedRow[] => (block.encoded === undefined ? [] : [{ table: block.table, row: undefined, encoded: { format: block.encoded.format, bytes: block.encoded.bytes }, error: 'Code: 33. Cannot read all data' }])
    const { blocks, segments, flusher } = parts(refuse, (table) => (table === 'client_events' ? new JsonLinesBuffer() : undefined))
    segments.append('clicks/3', '10', [{ table: 'client_events', row: { source_position: '10' } }], T0)
    await flusher.flush(true)
    const [letter] = blocks.find((block) => block.table === 'dead_letters')?.rows ?? []
    expect(letter).toMatchObject({ reason: 'sink_rejected', position: '10', detail: 'client_events: Code: 33. Cannot read all data (raw_base64: the row as JSONEachRow)' })
    expect(Buffer.from(String(letter?.raw_base64), 'base64').toString()).toBe('{"source_position":"10"}\n')
  })
})
