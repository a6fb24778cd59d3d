// Drops repeated event ids (a client retrying a send) seen within a horizon of event time. Ids are
// forgotten once the partition's highest event time has moved past them by the horizon, so memory
// stays bounded by traffic over the horizon.

export class DedupWindow {
  private readonly seen = new Map<string, number>()
  private sweepAfter = Number.NEGATIVE_INFINITY

  constructor(private readonly horizonMs: number) {}

  get size(): number {
    return this.seen.size
  }

  /** True when the id was seen within the horizon (a duplicate); records it otherwise. */
  isDuplicate(eventId: string, eventTime: number, highestEventTime: number): boolean {
    const previous = this.seen.get(eventId)
    if (previous !== undefined && Math.abs(eventTime - previous) <= this.horizonMs) return true
    this.seen.set(eventId, eventTime)
    this.evict(highestEventTime)
    return false
  }

  /** Forgets ids older than the horizon; sweeps at most once per tenth of the horizon. */
  private evict(highestEventTime: number): void {
    if (highestEventTime < this.sweepAfter) return
    const cutoff = highestEventTime - this.horizonMs
    for (const [id, time] of this.seen) if (time < cutoff) this.seen.delete(id)
    this.sweepAfter = highestEventTime + this.horizonMs / 10
  }
}
