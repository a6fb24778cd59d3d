// Rows wait here, per source partition, until their block is sealed. A segment covers a contiguous
// range of one partition's source positions and holds every row derived from those records, split by
// table. Sealing on size or age keeps inserts large and fresh; a forced cut (from a recorded intent)
// makes a replay after a crash seal exactly the blocks the crashed process had started to insert.
import type { DerivedRow, Rollup, RollupSum, Row, TableRows } from './rows.ts'
import type { RowBuffer } from './sink.ts'
import { comparePositions } from './position.ts'

export interface Segment {
  partition: string
  /** First and last source position the segment covers. */
  from: string
  to: string
  records: number
  rowCount: number
  /** Input bytes of the records behind the rows: what memory the block stands for, roughly. */
  bytes: number
  openedAt: number
  tables: Map<string, TableRows>
  /** The rollups' sums of this block's rows, by the table they write. */
  sums: Map<string, RollupSum>
  /** The partition's processing state after the record at `to`, kept with the checkpoint as JSON. */
  state: object | undefined
  /**
   * Rows describing state at `to` rather than records (open sessions on stop, sessions an idle
   * partition timed out): a block of its own, and this label tells its token from a record block's
   * and from other snapshots at the same position.
   */
  snapshot?: string
}

export interface SegmentPolicy {
  batchRows: number
  flushIntervalMs: number
  /**
   * How old a block of a partition that is catching up (behind in its stream by more than its latest
   * batch, noteBacklog) may grow before it is sealed anyway; until then it is sealed on size. Unset: the
   * flush interval, for every partition.
   */
  backlogFlushIntervalMs?: number
  /**
   * A buffer that encodes a table's uncombined rows as they arrive (the sink's, Sink.rowBuffer), or
   * undefined to keep that table's rows as objects until the write. Unset: every table keeps objects.
   */
  rowBuffer?: (table: string) => RowBuffer | undefined
  /** Sums each block keeps of its rows of a table (flows_1m of network_flows); none when unset. */
  rollups?: readonly Rollup[]
}

export class PartitionSegments {
  private readonly open = new Map<string, Segment>()
  private readonly sealed: Segment[] = []
  private readonly forcedCuts = new Map<string, string>()
  /** Partitions a full block or more behind in their stream, as their last batch said. */
  private readonly catchingUp = new Set<string>()
  private buffered = 0
  private bufferedInputBytes = 0

  constructor(private readonly policy: SegmentPolicy) {}

  /** Rows held, open and sealed, that no insert has acknowledged yet. */
  get bufferedRows(): number {
    return this.buffered
  }

  /** Input bytes of the records whose rows are held, open and sealed, not yet acknowledged. */
  get bufferedBytes(): number {
    return this.bufferedInputBytes
  }

  /** True when a sealed block waits to be taken. */
  get hasSealed(): boolean {
    return this.sealed.length > 0
  }

  /**
   * What the partition's stream held past its latest batch of `batchRecords` records. A partition is
   * catching up while more waits than that batch held, and at least a tenth of a block: its rows are
   * not fresh whatever the seal, and blocks sealed on age there are a fraction of batchRows, each
   * paying an insert (and a part to merge) per table. Its blocks are sealed on size until they reach
   * backlogFlushIntervalMs. The test is against the batch, not a full block: with "a block or more
   * behind" the last block's worth of every backlog (all of a partition smaller than a block) was
   * cut on the flush interval into blocks of a few thousand rows (BENCHMARKS.md, "Blocks of a backlog").
   */
  noteBacklog(partition: string, behind: number | undefined, batchRecords = 0): void {
    const floor = Math.ceil(this.policy.batchRows / 10)
    if (behind !== undefined && behind >= Math.max(floor, batchRecords)) this.catchingUp.add(partition)
    else this.catchingUp.delete(partition)
  }

  /** After a restart: the partition's first block must end exactly at `to`. */
  forceCut(partition: string, to: string): void {
    this.forcedCuts.set(partition, to)
  }

  append(partition: string, position: string, rows: readonly DerivedRow[], now: number, state?: object, bytes = 0): void {
    let cut = this.forcedCuts.get(partition)
    // A record past the cut means the cut record itself is gone (e.g. trimmed): cut before this one.
    if (cut !== undefined && comparePositions(position, cut) > 0) {
      this.sealPartition(partition)
      cut = undefined
    }
    const segment = this.open.get(partition) ?? this.openSegment(partition, position, now)
    segment.to = position
    segment.state = state
    segment.records++
    segment.bytes += bytes
    this.bufferedInputBytes += bytes
    let added = 0
    for (const derived of rows) added += this.addRow(segment, derived)
    segment.rowCount += added
    this.buffered += added
    // Before its cut a partition seals only at the cut: the replayed block must match the recorded one.
    if (cut !== undefined) {
      if (comparePositions(position, cut) >= 0) this.sealPartition(partition)
    } else if (segment.rowCount >= this.policy.batchRows) this.sealPartition(partition)
  }

  /**
   * Adds rows that describe the partition's state at `position` (e.g. sessions still open on stop) as
   * a block of their own, after the partition's open block. Skipped while a forced cut is pending:
   * that partition's rows are not written now but replayed, and the snapshot with them.
   */
  appendSnapshot(partition: string, position: string, rows: readonly DerivedRow[], now: number, state?: object, label = 'snapshot'): void {
    if (this.forcedCuts.has(partition) || rows.length === 0) return
    this.sealPartition(partition)
    const segment: Segment = { partition, from: position, to: position, records: 0, rowCount: 0, bytes: 0, openedAt: now, tables: new Map(), sums: new Map(), state, snapshot: label }
    for (const derived of rows) segment.rowCount += this.addRow(segment, derived)
    this.buffered += segment.rowCount
    encodeCombined(segment)
    this.sealed.push(segment)
  }

  /** Seals what is old enough (or everything) and hands over all sealed segments, oldest first. */
  takeSealed(now: number, all = false): Segment[] {
    for (const [partition, segment] of this.open) {
      if (this.forcedCuts.has(partition)) continue
      if (all || this.isOld(partition, segment, now)) this.sealPartition(partition)
    }
    return this.sealed.splice(0, this.sealed.length)
  }

  /**
   * Seals the open block holding the most rows (partitions waiting for a forced cut excepted); false
   * when there is none. Backpressure uses it: one large block relieves memory, sealing every partition
   * would cut them all short.
   */
  sealLargest(): boolean {
    let largest: Segment | undefined
    for (const [partition, segment] of this.open) {
      if (this.forcedCuts.has(partition) || segment.rowCount === 0) continue
      if (largest === undefined || segment.rowCount > largest.rowCount) largest = segment
    }
    if (largest === undefined) return false
    this.sealPartition(largest.partition)
    return true
  }

  /** True when some partition's block is due: full, cut, or old. */
  hasDue(now: number): boolean {
    if (this.sealed.length > 0) return true
    for (const [partition, segment] of this.open) {
      if (!this.forcedCuts.has(partition) && this.isOld(partition, segment, now)) return true
    }
    return false
  }

  /** Called once a taken segment's rows are acknowledged (or dead-lettered). */
  release(segment: Segment): void {
    this.buffered -= segment.rowCount
    this.bufferedInputBytes -= segment.bytes
  }

  /** Forgets a partition that this process no longer owns (its rows will be replayed elsewhere). */
  dropPartition(partition: string): void {
    const segment = this.open.get(partition)
    if (segment !== undefined) {
      this.buffered -= segment.rowCount
      this.bufferedInputBytes -= segment.bytes
    }
    this.open.delete(partition)
    this.forcedCuts.delete(partition)
    this.catchingUp.delete(partition)
  }

  private isOld(partition: string, segment: Segment, now: number): boolean {
    const interval = this.catchingUp.has(partition) ? (this.policy.backlogFlushIntervalMs ?? this.policy.flushIntervalMs) : this.policy.flushIntervalMs
    return now - segment.openedAt >= interval
  }

  private openSegment(partition: string, position: string, now: number): Segment {
    const segment: Segment = { partition, from: position, to: position, records: 0, rowCount: 0, bytes: 0, openedAt: now, tables: new Map(), sums: new Map(), state: undefined }
    this.open.set(partition, segment)
    return segment
  }

  private sealPartition(partition: string): void {
    this.forcedCuts.delete(partition)
    const segment = this.open.get(partition)
    if (segment === undefined) return
    this.open.delete(partition)
    encodeCombined(segment)
    this.sealed.push(segment)
  }

  /** Adds or combines the row; returns how many rows the segment grew by (0 or 1). */
  private addRow(segment: Segment, derived: DerivedRow): number {
    if (this.policy.rollups !== undefined) addToSums(segment, derived, this.policy.rollups)
    let table = segment.tables.get(derived.table)
    if (table === undefined) {
      table = { rows: [], eventTimesMs: [], combined: new Map() }
      const buffer = this.policy.rowBuffer?.(derived.table)
      if (buffer !== undefined) table.buffer = buffer
      segment.tables.set(derived.table, table)
    }
    if (derived.combine !== undefined) {
      const index = table.combined.get(derived.combine.key)
      if (index !== undefined) {
        const existing = table.rows[index] as Row
        table.rows[index] = derived.combine.how === 'replace' ? derived.row : sumInto(existing, derived.row, derived.combine.measures)
        return 0
      }
      table.combined.set(derived.combine.key, table.rows.length)
      table.rows.push(derived.combine.how === 'sum' ? { ...derived.row } : derived.row)
    } else if (table.buffer?.append(derived.row) !== true) {
      table.rows.push(derived.row)
    }
    if (derived.eventTimeMs !== undefined) table.eventTimesMs.push(derived.eventTimeMs)
    return 1
  }
}

/**
 * Once a block is sealed nothing more combines into it, so its combined rows (late corrections,
 * sessions) join the table's encoded rows: one insert per table and block instead of two (bytes, then
 * objects), and the objects are gone before the insert. A row the buffer cannot take stays an object.
 */
function encodeCombined(segment: Segment): void {
  for (const table of segment.tables.values()) {
    const buffer = table.buffer
    if (buffer === undefined || table.rows.length === 0) continue
    table.rows = table.rows.filter((row) => !buffer.append(row))
    table.combined.clear()
  }
}

function addToSums(segment: Segment, derived: DerivedRow, rollups: readonly Rollup[]): void {
  for (const rollup of rollups) {
    if (rollup.reads !== derived.table) continue
    let sum = segment.sums.get(rollup.writes)
    if (sum === undefined) segment.sums.set(rollup.writes, (sum = rollup.start()))
    sum.add(derived.row)
  }
}

function sumInto(target: Row, addition: Row, measures: readonly string[]): Row {
  for (const column of measures) {
    const value = addition[column]
    const current = target[column]
    if (typeof value === 'number' && typeof current === 'number') target[column] = current + value
    else if (isCountMap(value) && isCountMap(current)) target[column] = sumMaps(current, value)
  }
  return target
}

function isCountMap(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function sumMaps(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a }
  for (const [key, count] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + count
  return sum
}
