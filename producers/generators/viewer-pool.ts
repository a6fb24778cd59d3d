// Chooses which viewer each arrival steps. Timed waits that are due come first (so start-up and stall
// lengths hold), then viewers whose offline time is over, then a ready viewer: browsing viewers step
// more often than watching ones, as real clients do. When the ready viewers' natural pace falls short
// of the rate, the next offline viewer wakes early, so concurrency follows ratePerSecond.
import { TimedQueue } from './timed-queue.ts'
import type { Rng } from './random.ts'
import { BROWSING } from './viewer.ts'
import type { Viewer, ViewerScheduler } from './viewer.ts'

/** Natural seconds between two events of one browsing viewer (impressions while scrolling). */
export const BROWSE_STEP_SECONDS = 4
/** Natural seconds between two events of one watching viewer (bitrate changes, the odd stall). */
export const PLAY_STEP_SECONDS = 30

export class ViewerPool implements ViewerScheduler {
  private readonly browsing: Viewer[] = []
  private readonly playing: Viewer[] = []
  private readonly timers = new TimedQueue<Viewer>()
  private readonly offline = new TimedQueue<Viewer>()

  constructor(
    private readonly rng: Rng,
    private readonly ratePerSecond: number,
  ) {}

  get readyCount(): number {
    return this.browsing.length + this.playing.length
  }

  ready(viewer: Viewer): void {
    const list = viewer.state === BROWSING ? this.browsing : this.playing
    if (viewer.readyList === list) return
    this.unready(viewer)
    viewer.readyList = list
    viewer.readyIndex = list.length
    list.push(viewer)
  }

  wait(viewer: Viewer, due: number): void {
    this.unready(viewer)
    this.timers.push(due, viewer)
  }

  sleep(viewer: Viewer, due: number): void {
    this.unready(viewer)
    this.offline.push(due, viewer)
  }

  /** The viewer the arrival at `now` steps. One taken from a queue must be re-placed by its step. */
  take(now: number): Viewer {
    if (this.timers.peekTime() <= now) return this.timers.pop()
    if (this.offline.peekTime() <= now) return this.offline.pop()
    const browsePace = this.browsing.length / BROWSE_STEP_SECONDS
    const pace = browsePace + this.playing.length / PLAY_STEP_SECONDS
    if (this.offline.size > 0 && pace < this.ratePerSecond) return this.offline.pop()
    if (pace > 0) {
      const list = this.rng.float() * pace < browsePace ? this.browsing : this.playing
      return list[this.rng.int(list.length)] as Viewer
    }
    if (this.offline.size > 0) return this.offline.pop()
    // Everyone is mid-wait: the earliest wait ends a little early rather than the arrival being lost.
    return this.timers.pop()
  }

  /** Swap-remove: O(1), and a list's order only matters through the seeded pick. */
  private unready(viewer: Viewer): void {
    const list = viewer.readyList
    if (list === null) return
    const last = list.pop()
    if (last !== undefined && last !== viewer) {
      list[viewer.readyIndex] = last
      last.readyIndex = viewer.readyIndex
    }
    viewer.readyList = null
    viewer.readyIndex = -1
  }
}
