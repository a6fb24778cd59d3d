// Open per-minute windows of one source partition: the on-time contributions of its client events,
// summed per table and key in memory until the partition's watermark passes the window's end, then
// handed out once, one row per key. Keeping them here rather than as partial rows in every block is
// what brings the rows written per event down (issue 18): a minute's key is written once per
// partition instead of once per block it appears in. Late events never come here: they are
// correction rows of their own (client-partition.ts), which the additive tables add up.
import type { DerivedRow, Row } from '../../pipeline/rows.ts'

/** One contribution, keyed as the segments would combine it ('sum' with its measures). */
export interface WindowContribution {
  table: string
  key: string
  row: Row
  measures: readonly string[]
}

export class MinuteWindows {
  /**
   * Window start (epoch ms) → table → key → the summed row. A map per table rather than one keyed by
   * `table|key`: that would build a second string for every contribution of every event.
   */
  private readonly open = new Map<number, Map<string, Map<string, WindowContribution>>>()
  /** Earliest end of an open window, so closing costs one comparison per event. */
  private earliestEnd = Number.POSITIVE_INFINITY

  constructor(private readonly windowMs: number) {}

  /** The end of the earliest open window; +Infinity when none is open. */
  get nextEnd(): number {
    return this.earliestEnd
  }

  /** Open windows (for tests and the restore log). */
  get size(): number {
    return this.open.size
  }

  add(windowStart: number, contribution: WindowContribution): void {
    let window = this.open.get(windowStart)
    if (window === undefined) {
      window = new Map()
      this.open.set(windowStart, window)
      this.earliestEnd = Math.min(this.earliestEnd, windowStart + this.windowMs)
    }
    let table = window.get(contribution.table)
    if (table === undefined) {
      table = new Map()
      window.set(contribution.table, table)
    }
    const existing = table.get(contribution.key)
    // The first contribution is copied: the caller's row object may be reused by a correction row.
    if (existing === undefined) table.set(contribution.key, { ...contribution, row: copyMeasures(contribution.row, contribution.measures) })
    else sumInto(existing.row, contribution.row, contribution.measures)
  }

  /** Rows of every window whose end is at or before the watermark, oldest first; those windows are forgotten. */
  closeThrough(watermark: number): DerivedRow[] {
    if (watermark < this.earliestEnd) return []
    const starts = [...this.open.keys()].filter((start) => start + this.windowMs <= watermark).sort((a, b) => a - b)
    const rows = starts.flatMap((start) => this.take(start))
    this.earliestEnd = Math.min(Number.POSITIVE_INFINITY, ...[...this.open.keys()].map((start) => start + this.windowMs))
    return rows
  }

  /** Rows of every open window as it stands (on shutdown or revocation); all are forgotten. */
  flushAll(): DerivedRow[] {
    return this.closeThrough(Number.POSITIVE_INFINITY)
  }

  private take(start: number): DerivedRow[] {
    const window = this.open.get(start)
    this.open.delete(start)
    const rows: DerivedRow[] = []
    for (const table of window?.values() ?? []) for (const contribution of table.values()) rows.push({ table: contribution.table, row: contribution.row })
    return rows
  }
}

function copyMeasures(row: Row, measures: readonly string[]): Row {
  const copy = { ...row }
  for (const column of measures) {
    const value = copy[column]
    if (isCountMap(value)) copy[column] = { ...value }
  }
  return copy
}

function sumInto(target: Row, addition: Row, measures: readonly string[]): void {
  for (const column of measures) {
    const value = addition[column]
    const current = target[column]
    if (typeof value === 'number' && typeof current === 'number') target[column] = current + value
    else if (isCountMap(value) && isCountMap(current)) for (const [bucket, count] of Object.entries(value)) current[bucket] = (current[bucket] ?? 0) + count
  }
}

function isCountMap(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
