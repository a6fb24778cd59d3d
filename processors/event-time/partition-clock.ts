// Event time as one source partition sees it. The watermark trails the highest event time seen by
// the allowed out-of-orderness; a window is closed once the watermark passes its end. An event for a
// closed window is late (it corrects the window) until the allowed lateness runs out, then too late.
// Everything here is a function of the partition's records in order, so a replay from a checkpoint
// (which stores the highest event time) classifies every record exactly as the first pass did.

export type Arrival = 'on_time' | 'late' | 'too_late'

export interface ClockSettings {
  windowMs: number
  outOfOrdernessMs: number
  allowedLatenessMs: number
}

export class PartitionClock {
  private highest: number

  constructor(
    private readonly settings: ClockSettings,
    /** Restored from the checkpoint; -Infinity for a partition never seen. */
    highestEventTime = Number.NEGATIVE_INFINITY,
  ) {
    this.highest = highestEventTime
  }

  get highestEventTime(): number {
    return this.highest
  }

  get outOfOrdernessMs(): number {
    return this.settings.outOfOrdernessMs
  }

  get watermark(): number {
    return this.highest - this.settings.outOfOrdernessMs
  }

  windowStart(eventTime: number): number {
    return Math.floor(eventTime / this.settings.windowMs) * this.settings.windowMs
  }

  /**
   * Moves event time on without an event: an idle partition's watermark follows the clock (Flink's
   * withIdleness), or its sessions would never time out. Never moves it back.
   */
  advanceTo(timeMs: number): void {
    if (timeMs > this.highest) this.highest = timeMs
  }

  /** Classifies the event against the watermark before it, then lets it advance the watermark. */
  observe(eventTime: number): Arrival {
    const windowEnd = this.windowStart(eventTime) + this.settings.windowMs
    const watermark = this.watermark
    const arrival: Arrival = watermark < windowEnd ? 'on_time' : watermark < windowEnd + this.settings.allowedLatenessMs ? 'late' : 'too_late'
    if (eventTime > this.highest) this.highest = eventTime
    return arrival
  }
}
