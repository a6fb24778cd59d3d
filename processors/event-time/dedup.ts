// Drops repeated event ids (a client retrying a send) seen within a horizon of event time. Ids are
// forgotten once the partition's highest event time has moved past them by the horizon, so memory
// stays bounded by traffic over the horizon. Canonical UUIDs (what producers send) are kept as their
// 128 bits (uuid-times.ts); any other id text in a Map, exactly as given.
import { parseUuid, UuidTimes } from './uuid-times.ts'

export class DedupWindow {
  private readonly uuids = new UuidTimes()
  private readonly others = new Map<string, number>()
  private readonly key = new Uint32Array(4)
  private sweepAfter = Number.NEGATIVE_INFINITY

  constructor(private readonly horizonMs: number) {}

  get size(): number {
    return this.uuids.size + this.others.size
  }

  /** True when the id was seen within the horizon (a duplicate); records it otherwise. */
  isDuplicate(eventId: string, eventTime: number, highestEventTime: number): boolean {
    const isUuid = parseUuid(eventId, this.key)
    const previous = isUuid ? this.uuids.get(this.key) : this.others.get(eventId)
    if (previous !== undefined && Math.abs(eventTime - previous) <= this.horizonMs) return true
    if (isUuid) this.uuids.set(this.key, eventTime)
    else this.others.set(eventId, eventTime)
    this.evict(highestEventTime)
    return false
  }

  /** Remembers the ids `other` remembers (a Kinesis child shard carrying on its parents' keys). */
  absorb(other: DedupWindow): void {
    this.uuids.absorb(other.uuids)
    for (const [id, time] of other.others) if (!this.others.has(id)) this.others.set(id, time)
  }

  /**
   * Forgets ids older than the horizon; sweeps at most once per half horizon, so at most 1.5 horizons
   * of ids are held. A sweep rehashes every live id: once per tenth of the horizon that was about ten
   * rehashes per event, 3.6 % of a 5,000,000-event drain's profile (BENCHMARKS.md, "Blocks of a
   * backlog"); the table's power-of-two capacity mostly absorbs the longer stay.
   */
  private evict(highestEventTime: number): void {
    if (highestEventTime < this.sweepAfter) return
    const cutoff = highestEventTime - this.horizonMs
    this.uuids.retainFrom(cutoff)
    for (const [id, time] of this.others) if (time < cutoff) this.others.delete(id)
    this.sweepAfter = highestEventTime + this.horizonMs / 2
  }
}
