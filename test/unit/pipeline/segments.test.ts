// Per-partition segments: sealed on size, on age and on shutdown, independently per partition, and
// exactly at a forced cut so a replay after a crash rebuilds the block the crashed process inserted.

import { describe, expect, it } from 'vitest'
import type { DerivedRow, Rollup, Row } from '../../../pipeline/rows.ts'
import type { EncodedRows, RowBuffer } from '../../../pipeline/sink.ts'
import { PartitionSegments, type Segment } from '../../../pipeline/segments.ts'

const T0 = 1_700_000_000_000

/** `count` rows for the events table, tagged with the record's position. */
function rows(position: string, count = 1, table = 'client_events'): DerivedRow[] {
  return Array.from({ length: count }, (_, index) => ({ table, row: { position, index }, eventTimeMs: T0 }))
}

function ranges(segments: readonly Segment[]): [string, string, string][] {
  return segments.map((segment) => [segment.partition, segment.from, segment.to])
}

describe('sealing on size', () => {
  it('seals once the partition holds batchRows rows, not before', () => {
    const segments = new PartitionSegments({ batchRows: 3, flushIntervalMs: 60_000 })
    segments.append('p', '1', rows('1'), T0)
    segments.append('p', '2', rows('2'), T0)
    expect(segments.takeSealed(T0)).toEqual([])
    segments.append('p', '3', rows('3'), T0)
    const sealed = segments.takeSealed(T0)
    expect(ranges(sealed)).toEqual([['p', '1', '3']])
    expect(sealed[0]?.records).toBe(3)
    expect(sealed[0]?.rowCount).toBe(3)
  })

  it('counts rows, not records: one record with many rows can fill a block', () => {
    const segments = new PartitionSegments({ batchRows: 4, flushIntervalMs: 60_000 })
    segments.append('p', '1', rows('1', 5), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['p', '1', '1']])
  })

  it('starts the next segment at the next record', () => {
    const segments = new PartitionSegments({ batchRows: 2, flushIntervalMs: 60_000 })
    for (const position of ['10', '11', '12', '13', '14']) segments.append('p', position, rows(position), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([
      ['p', '10', '11'],
      ['p', '12', '13'],
    ])
    expect(ranges(segments.takeSealed(T0, true))).toEqual([['p', '14', '14']])
  })

  it('splits a segment\'s rows by table, with event times', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 60_000 })
    segments.append('p', '1', [...rows('1', 2, 'a'), { table: 'b', row: { x: 1 } }], T0)
    segments.append('p', '2', rows('2', 1, 'a'), T0)
    const [segment] = segments.takeSealed(T0, true)
    expect(segment?.rowCount).toBe(4)
    expect(segment?.tables.get('a')?.rows).toEqual([
      { position: '1', index: 0 },
      { position: '1', index: 1 },
      { position: '2', index: 0 },
    ])
    expect(segment?.tables.get('a')?.eventTimesMs).toEqual([T0, T0, T0])
    // A row without an event time adds no freshness sample.
    expect(segment?.tables.get('b')?.rows).toEqual([{ x: 1 }])
    expect(segment?.tables.get('b')?.eventTimesMs).toEqual([])
  })

  it('covers a record that yields no rows (e.g. a dead letter counted elsewhere)', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 60_000 })
    segments.append('p', '1', [], T0)
    segments.append('p', '2', rows('2'), T0)
    const [segment] = segments.takeSealed(T0, true)
    expect([segment?.from, segment?.to, segment?.records, segment?.rowCount]).toEqual(['1', '2', 2, 1])
  })
})

describe('sealing on age', () => {
  it('seals when the oldest pending row reaches flushIntervalMs, counted from the segment opening', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 500 })
    segments.append('p', '1', rows('1'), T0)
    segments.append('p', '2', rows('2'), T0 + 400)
    expect(segments.takeSealed(T0 + 499)).toEqual([])
    expect(ranges(segments.takeSealed(T0 + 500))).toEqual([['p', '1', '2']])
  })

  it('takeSealed(all) seals every open segment whatever its age', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.append('p', '1', rows('1'), T0)
    segments.append('q', '7', rows('7'), T0)
    expect(ranges(segments.takeSealed(T0, true))).toEqual([
      ['p', '1', '1'],
      ['q', '7', '7'],
    ])
    expect(segments.takeSealed(T0 + 120_000, true)).toEqual([])
  })

  it('hands each sealed segment over once', () => {
    const segments = new PartitionSegments({ batchRows: 1, flushIntervalMs: 60_000 })
    segments.append('p', '1', rows('1'), T0)
    expect(segments.takeSealed(T0)).toHaveLength(1)
    expect(segments.takeSealed(T0)).toEqual([])
  })
})

describe('a partition catching up', () => {
  const policy = { batchRows: 30, flushIntervalMs: 500, backlogFlushIntervalMs: 5_000 }

  it('is sealed on size, not on the flush interval, while its stream holds more past its batch than the batch held', () => {
    const segments = new PartitionSegments(policy)
    segments.noteBacklog('p', 4, 3)
    segments.append('p', '1', rows('1'), T0)
    segments.append('p', '2', rows('2'), T0)
    expect(segments.hasDue(T0 + 4_999)).toBe(false)
    expect(segments.takeSealed(T0 + 4_999)).toEqual([])
    for (let position = 3; position <= 30; position++) segments.append('p', String(position), rows(String(position)), T0 + 4_999)
    expect(ranges(segments.takeSealed(T0 + 4_999))).toEqual([['p', '1', '30']])
  })

  it('is sealed anyway once its block reaches the backlog interval', () => {
    const segments = new PartitionSegments(policy)
    segments.noteBacklog('p', 100, 3)
    segments.append('p', '1', rows('1'), T0)
    expect(segments.hasDue(T0 + 5_000)).toBe(true)
    expect(ranges(segments.takeSealed(T0 + 5_000))).toEqual([['p', '1', '1']])
  })

  it('is not catching up when less waits than its batch held, or less than a tenth of a block', () => {
    const segments = new PartitionSegments(policy)
    segments.noteBacklog('p', 9, 10)
    segments.noteBacklog('q', 2, 1)
    segments.append('p', '1', rows('1'), T0)
    segments.append('q', '1', rows('1'), T0)
    expect(ranges(segments.takeSealed(T0 + 500))).toEqual([['p', '1', '1'], ['q', '1', '1']])
  })

  it('goes back to the flush interval when a batch says it has caught up, and only that partition is affected', () => {
    const segments = new PartitionSegments(policy)
    segments.noteBacklog('p', 100, 5)
    segments.noteBacklog('q', 100, 5)
    segments.append('p', '1', rows('1'), T0)
    segments.append('q', '1', rows('1'), T0)
    segments.noteBacklog('p', 4, 5)
    expect(ranges(segments.takeSealed(T0 + 500))).toEqual([['p', '1', '1']])
    segments.noteBacklog('q', undefined, 5)
    expect(ranges(segments.takeSealed(T0 + 500))).toEqual([['q', '1', '1']])
  })

  it('is forgotten with its partition', () => {
    const segments = new PartitionSegments(policy)
    segments.noteBacklog('p', 100, 5)
    segments.dropPartition('p')
    segments.append('p', '1', rows('1'), T0)
    expect(ranges(segments.takeSealed(T0 + 500))).toEqual([['p', '1', '1']])
  })
})

describe('partitions', () => {
  it('are sealed independently: one partition filling up leaves another open', () => {
    const segments = new PartitionSegments({ batchRows: 2, flushIntervalMs: 1000 })
    segments.append('a', '1', rows('1'), T0)
    segments.append('b', '100', rows('100'), T0 + 600)
    segments.append('a', '2', rows('2'), T0 + 700)
    expect(ranges(segments.takeSealed(T0 + 700))).toEqual([['a', '1', '2']])
    // b opened at T0 + 600, so it is due at T0 + 1600, not when a (opened at T0) would have been.
    segments.append('a', '3', rows('3'), T0 + 800)
    expect(ranges(segments.takeSealed(T0 + 1500))).toEqual([])
    expect(ranges(segments.takeSealed(T0 + 1600))).toEqual([['b', '100', '100']])
    expect(ranges(segments.takeSealed(T0 + 1800))).toEqual([['a', '3', '3']])
  })

  it('returns sealed segments oldest first', () => {
    const segments = new PartitionSegments({ batchRows: 1, flushIntervalMs: 60_000 })
    segments.append('b', '5', rows('5'), T0)
    segments.append('a', '1', rows('1'), T0)
    segments.append('b', '6', rows('6'), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([
      ['b', '5', '5'],
      ['a', '1', '1'],
      ['b', '6', '6'],
    ])
  })
})

describe('bufferedRows', () => {
  it('counts open and sealed rows until they are released', () => {
    const segments = new PartitionSegments({ batchRows: 3, flushIntervalMs: 60_000 })
    segments.append('a', '1', rows('1', 2), T0)
    segments.append('a', '2', rows('2', 2), T0) // seals a: 4 rows
    segments.append('b', '1', rows('1', 1), T0)
    expect(segments.bufferedRows).toBe(5)
    const sealed = segments.takeSealed(T0)
    expect(segments.bufferedRows).toBe(5) // taken but not yet acknowledged
    for (const segment of sealed) segments.release(segment)
    expect(segments.bufferedRows).toBe(1)
    for (const segment of segments.takeSealed(T0, true)) segments.release(segment)
    expect(segments.bufferedRows).toBe(0)
  })

  it('counts the input bytes behind the rows the same way', () => {
    const segments = new PartitionSegments({ batchRows: 3, flushIntervalMs: 60_000 })
    segments.append('a', '1', rows('1', 2), T0, undefined, 1000)
    segments.append('a', '2', rows('2', 2), T0, undefined, 500) // seals a
    segments.append('b', '1', rows('1', 1), T0, undefined, 70)
    expect(segments.bufferedBytes).toBe(1570)
    for (const segment of segments.takeSealed(T0)) segments.release(segment)
    expect(segments.bufferedBytes).toBe(70)
    segments.dropPartition('b')
    expect(segments.bufferedBytes).toBe(0)
  })

  it('drops a partition\'s open rows, and only that partition\'s', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 60_000 })
    segments.append('a', '1', rows('1', 3), T0)
    segments.append('b', '1', rows('1', 2), T0)
    segments.dropPartition('a')
    expect(segments.bufferedRows).toBe(2)
    expect(ranges(segments.takeSealed(T0, true))).toEqual([['b', '1', '1']])
    segments.dropPartition('never-seen')
    expect(segments.bufferedRows).toBe(2)
  })

  it('starts a dropped partition afresh when it comes back', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 60_000 })
    segments.append('a', '1', rows('1', 3), T0)
    segments.dropPartition('a')
    segments.append('a', '5', rows('5'), T0)
    const [segment] = segments.takeSealed(T0, true)
    expect([segment?.from, segment?.to, segment?.rowCount]).toEqual(['5', '5', 1])
    expect(segments.bufferedRows).toBe(1)
  })
})

describe('forced cuts', () => {
  it('seals exactly at the cut position', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.forceCut('p', '12')
    for (const position of ['10', '11', '12', '13']) segments.append('p', position, rows(position), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['p', '10', '12']])
    // After the cut the partition goes back to the ordinary policy.
    expect(ranges(segments.takeSealed(T0, true))).toEqual([['p', '13', '13']])
  })

  it('does not seal before the cut when the rows reach batchRows', () => {
    // The crashed process inserted 10..12 as one block; a smaller batchRows now must not split it,
    // or the replayed blocks would carry different tokens and duplicate rows.
    const segments = new PartitionSegments({ batchRows: 2, flushIntervalMs: 60_000 })
    segments.forceCut('p', '12')
    for (const position of ['10', '11', '12']) segments.append('p', position, rows(position), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['p', '10', '12']])
  })

  it('does not seal before the cut when the segment grows old, nor on takeSealed(all)', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 100 })
    segments.forceCut('p', '12')
    segments.append('p', '10', rows('10'), T0)
    expect(segments.hasDue(T0 + 10_000)).toBe(false)
    expect(segments.takeSealed(T0 + 10_000)).toEqual([])
    // A partial block would not match the recorded intent; its rows are replayed instead.
    expect(segments.takeSealed(T0 + 10_000, true)).toEqual([])
    segments.append('p', '12', rows('12'), T0 + 10_000)
    expect(ranges(segments.takeSealed(T0 + 10_000))).toEqual([['p', '10', '12']])
  })

  it('compares positions as numbers, not strings ("9" is before "10")', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.forceCut('p', '10')
    segments.append('p', '9', rows('9'), T0)
    expect(segments.takeSealed(T0)).toEqual([])
    segments.append('p', '10', rows('10'), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['p', '9', '10']])
  })

  it('seals before a record past the cut when the cut record itself is missing', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.forceCut('p', '12')
    segments.append('p', '10', rows('10'), T0)
    segments.append('p', '11', rows('11'), T0)
    segments.append('p', '14', rows('14'), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['p', '10', '11']])
    expect(ranges(segments.takeSealed(T0, true))).toEqual([['p', '14', '14']])
  })

  it('with nothing before it, a record past the cut just opens a fresh segment under the ordinary policy', () => {
    const segments = new PartitionSegments({ batchRows: 2, flushIntervalMs: 60_000 })
    segments.forceCut('p', '12')
    segments.append('p', '20', rows('20'), T0)
    expect(segments.takeSealed(T0)).toEqual([])
    segments.append('p', '21', rows('21'), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['p', '20', '21']])
  })

  it('holds only its own partition', () => {
    const segments = new PartitionSegments({ batchRows: 1, flushIntervalMs: 60_000 })
    segments.forceCut('p', '12')
    segments.append('p', '10', rows('10'), T0)
    segments.append('q', '10', rows('10'), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['q', '10', '10']])
  })

  it('is forgotten with its partition', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 100 })
    segments.forceCut('p', '12')
    segments.append('p', '10', rows('10'), T0)
    segments.dropPartition('p')
    segments.append('p', '10', rows('10'), T0)
    expect(ranges(segments.takeSealed(T0 + 100))).toEqual([['p', '10', '10']])
  })

  it('compares 56-digit Kinesis sequence numbers correctly', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    const base = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n
    const at = (offset: bigint): string => (base + offset).toString()
    segments.forceCut('shard-0', at(2n))
    segments.append('shard-0', at(0n), rows('a'), T0)
    segments.append('shard-0', at(1n), rows('b'), T0)
    expect(segments.takeSealed(T0)).toEqual([])
    segments.append('shard-0', at(2n), rows('c'), T0)
    expect(ranges(segments.takeSealed(T0))).toEqual([['shard-0', at(0n), at(2n)]])
  })
})

describe('hasDue', () => {
  it('is false when nothing is buffered', () => {
    expect(new PartitionSegments({ batchRows: 1, flushIntervalMs: 1 }).hasDue(T0)).toBe(false)
  })

  it('turns true when a segment is old enough, and false once it is taken', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 500 })
    segments.append('p', '1', rows('1'), T0)
    expect(segments.hasDue(T0 + 499)).toBe(false)
    expect(segments.hasDue(T0 + 500)).toBe(true)
    segments.takeSealed(T0 + 500)
    expect(segments.hasDue(T0 + 500)).toBe(false)
  })

  it('is true as soon as a segment is sealed on size or at a cut', () => {
    const bySize = new PartitionSegments({ batchRows: 1, flushIntervalMs: 60_000 })
    bySize.append('p', '1', rows('1'), T0)
    expect(bySize.hasDue(T0)).toBe(true)

    const byCut = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    byCut.forceCut('p', '2')
    byCut.append('p', '1', rows('1'), T0)
    expect(byCut.hasDue(T0)).toBe(false)
    byCut.append('p', '2', rows('2'), T0)
    expect(byCut.hasDue(T0)).toBe(true)
  })
})

describe('combining rows with one key', () => {
  const partial = (minute: number, plays: number, hist: Record<string, number>): DerivedRow => ({
    table: 'qoe_1m',
    row: { minute, title: 't', plays, hist },
    combine: { key: `${minute}|t`, how: 'sum', measures: ['plays', 'hist'] },
  })

  it('sums only the measures, maps key by key, and leaves numeric dimensions alone', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 1000 })
    segments.append('s/0', '1', [partial(60, 1, { '3': 1 })], T0)
    segments.append('s/0', '2', [partial(60, 2, { '3': 2, '5': 1 }), partial(120, 7, {})], T0)
    const [segment] = segments.takeSealed(T0, true)
    expect(segment?.tables.get('qoe_1m')?.rows).toEqual([
      { minute: 60, title: 't', plays: 3, hist: { '3': 3, '5': 1 } },
      { minute: 120, title: 't', plays: 7, hist: {} },
    ])
    expect(segment?.rowCount).toBe(2)
  })

  it('replace keeps the latest row of a key', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 1000 })
    const state = (version: number): DerivedRow => ({ table: 'sessions', row: { id: 'a', version }, combine: { key: 'a', how: 'replace' } })
    segments.append('s/0', '1', [state(1)], T0)
    segments.append('s/0', '2', [state(2)], T0)
    expect(segments.takeSealed(T0, true)[0]?.tables.get('sessions')?.rows).toEqual([{ id: 'a', version: 2 }])
  })

  it('once sealed, joins the combined rows to the table\'s encoded rows (after them), keeping as objects only those the buffer refuses', () => {
    const kept: Row[] = []
    // Takes every row but those of minute 120, as a buffer refuses a row it cannot encode.
    const picky: RowBuffer = {
      get rows() {
        return kept.length
      },
      append: (row) => row.minute !== 120 && kept.push(row) > 0,
      finish: (): EncodedRows => ({ format: 'RowBinary', columns: [], bytes: Buffer.alloc(0), rowStarts: [] }),
    }
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 1000, rowBuffer: () => picky })
    const onTime: DerivedRow = { table: 'qoe_1m', row: { minute: 0, title: 't', plays: 9, hist: {} } }
    segments.append('s/0', '1', [onTime, partial(60, 1, {}), partial(120, 7, {})], T0)
    segments.append('s/0', '2', [partial(60, 2, {})], T0)
    expect(kept).toEqual([onTime.row])
    const [segment] = segments.takeSealed(T0, true)
    expect(kept).toEqual([onTime.row, { minute: 60, title: 't', plays: 3, hist: {} }])
    expect(segment?.tables.get('qoe_1m')?.rows).toEqual([{ minute: 120, title: 't', plays: 7, hist: {} }])
    expect(segment?.rowCount).toBe(3)
  })
})

describe('rollups', () => {
  /** Sums `n` per key of the rows it reads, in the order keys first came. */
  const perKey: Rollup = {
    reads: 'flows',
    writes: 'flows_sum',
    start() {
      const sums = new Map<string, Row>()
      return {
        add: (row) => {
          const sum = sums.get(String(row.key)) ?? { key: row.key, n: 0 }
          sum.n = Number(sum.n) + Number(row.n)
          sums.set(String(row.key), sum)
        },
        rows: () => [...sums.values()],
      }
    },
  }
  /** A row buffer that keeps what it was given, as the sink's encodes it. */
  const keeping = (): RowBuffer & { kept: Row[] } => {
    const kept: Row[] = []
    return {
      kept,
      get rows() {
        return kept.length
      },
      append: (row) => kept.push(row) > 0,
      finish: (): EncodedRows => ({ format: 'RowBinary', columns: [], bytes: Buffer.alloc(0), rowStarts: [] }),
    }
  }
  const flow = (key: string, n: number): DerivedRow => ({ table: 'flows', row: { key, n } })

  it('sum each block\'s rows of their table as they enter, while the rows themselves wait in the row buffer', () => {
    const buffers = new Map<string, ReturnType<typeof keeping>>()
    const rowBuffer = (table: string): RowBuffer => {
      const buffer = keeping()
      buffers.set(table, buffer)
      return buffer
    }
    const segments = new PartitionSegments({ batchRows: 3, flushIntervalMs: 1000, rowBuffer, rollups: [perKey] })
    segments.append('s/0', '1', [flow('a', 1), flow('b', 2)], T0)
    segments.append('s/0', '2', [flow('a', 4)], T0)
    segments.append('s/0', '3', [flow('b', 8)], T0)
    const [first, second] = segments.takeSealed(T0, true)
    expect(first?.sums.get('flows_sum')?.rows()).toEqual([{ key: 'a', n: 5 }, { key: 'b', n: 2 }])
    expect(second?.sums.get('flows_sum')?.rows()).toEqual([{ key: 'b', n: 8 }])
    expect(first?.tables.get('flows')?.rows).toEqual([])
    expect(buffers.get('flows')?.kept).toEqual([{ key: 'b', n: 8 }])
  })

  it('keep no sum for a block without rows of their table', () => {
    const segments = new PartitionSegments({ batchRows: 10, flushIntervalMs: 1000, rollups: [perKey] })
    segments.append('s/0', '1', rows('1'), T0)
    expect(segments.takeSealed(T0, true)[0]?.sums.size).toBe(0)
  })
})

describe('snapshots', () => {
  const session = (id: string): DerivedRow => ({ table: 'sessions', row: { id }, combine: { key: id, how: 'replace' } })

  it('seal the open block first and stand as a block of their own, marked as a snapshot', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 1000 })
    segments.append('s/0', '7', rows('7'), T0)
    segments.appendSnapshot('s/0', '7', [session('a'), session('b')], T0, { highestEventTime: 5 })
    const sealed = segments.takeSealed(T0)
    expect(sealed.map((segment) => [segment.from, segment.to, segment.snapshot ?? 'records', segment.rowCount])).toEqual([
      ['7', '7', 'records', 1],
      ['7', '7', 'snapshot', 2],
    ])
    expect(sealed[1]?.state).toEqual({ highestEventTime: 5 })
    expect(segments.bufferedRows).toBe(3)
  })

  it('are not taken while a forced cut is pending: those rows are replayed instead', () => {
    const segments = new PartitionSegments({ batchRows: 100, flushIntervalMs: 1000 })
    segments.forceCut('s/0', '9')
    segments.append('s/0', '7', rows('7'), T0)
    segments.appendSnapshot('s/0', '7', [session('a')], T0)
    expect(segments.takeSealed(T0 + 10_000, true)).toEqual([])
  })
})

// Backpressure's choice of block: sealing the largest open block (never one held for a forced cut)
// relieves memory without cutting every partition's block short.
describe('sealLargest', () => {
  it('seals only the open block with the most rows', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.append('s/0', '1', rows('1', 5), T0)
    segments.append('s/1', '1', rows('1', 10), T0)
    segments.append('s/2', '1', rows('1', 3), T0)
    expect(segments.sealLargest()).toBe(true)
    expect(segments.takeSealed(T0).map((segment) => [segment.partition, segment.rowCount])).toEqual([['s/1', 10]])
    expect(segments.bufferedRows).toBe(18)
  })

  it('leaves a partition waiting for its forced cut alone, and says when nothing can be sealed', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.forceCut('s/0', '9')
    segments.append('s/0', '1', rows('1', 50), T0)
    segments.append('s/1', '1', rows('1', 2), T0)
    expect(segments.sealLargest()).toBe(true)
    expect(segments.takeSealed(T0).map((segment) => segment.partition)).toEqual(['s/1'])
    expect(segments.sealLargest()).toBe(false)
  })
})
