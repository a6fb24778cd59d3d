// Open per-minute windows of one source partition: the on-time contributions of its client events,
// summed per table and key in memory until the partition's watermark passes the window's end, then
// handed out once, one row per key. Keeping them here rather than as partial rows in every block is
// what brings the rows written per event down (issue 18): a minute's key is written once per
// partition instead of once per block it appears in. Late events never come here: they are
// correction rows of their own (client-partition.ts), which the additive tables add up.
import type { DerivedRow } from '../../pipeline/rows.ts'
import { WindowRows } from './client-aggregates.ts'

export class MinuteWindows {
  /** Window start (epoch ms) → its rows by table and key. */
  private readonly open = new Map<number, WindowRows>()
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

  /** The rows of the window starting at `windowStart`, opened if it is not. */
  at(windowStart: number): WindowRows {
    let window = this.open.get(windowStart)
    if (window === undefined) {
      window = new WindowRows()
      this.open.set(windowStart, window)
      this.earliestEnd = Math.min(this.earliestEnd, windowStart + this.windowMs)
    }
    return window
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
    return window?.rows(false) ?? []
  }
}
