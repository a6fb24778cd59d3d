// Which CIDRs each app holds right now. Flows draw their addresses from here; reassignments change it.
import type { FleetApp, PoolEntry } from './flow-fleet.ts'
import type { Rng } from './random.ts'

export class FleetState {
  /** Every entry currently held, for uniform picks across the fleet. */
  readonly held: PoolEntry[] = []

  constructor(readonly apps: readonly FleetApp[]) {}

  add(entry: PoolEntry): void {
    entry.slot = this.held.length
    this.held.push(entry)
    entry.app.entries.push(entry)
  }

  remove(entry: PoolEntry): void {
    const last = this.held.pop()
    if (last !== undefined && last !== entry) {
      this.held[entry.slot] = last
      last.slot = entry.slot
    }
    entry.slot = -1
    const own = entry.app.entries
    own.splice(own.indexOf(entry), 1)
  }

  /** An entry of `app` a flow ending in `endSecond` may use (held since before its start), or null. */
  usableOf(rng: Rng, app: FleetApp, endSecond: number): PoolEntry | null {
    const entries = app.entries
    const n = entries.length
    const offset = rng.int(n)
    for (let i = 0; i < n; i++) {
      const entry = entries[(offset + i) % n]
      if (entry !== undefined && entry.firstSecond <= endSecond) return entry
    }
    return null
  }

  /** Any usable entry of the fleet: a random one, scanning on when it was assigned too recently. */
  anyUsable(rng: Rng, endSecond: number): PoolEntry | null {
    const n = this.held.length
    const offset = rng.int(n)
    for (let i = 0; i < n; i++) {
      const entry = this.held[(offset + i) % n]
      if (entry !== undefined && entry.firstSecond <= endSecond) return entry
    }
    return null
  }

  /**
   * An entry that can move to another app at `now`: its app keeps an entry held for over a second,
   * so every app always has an address a flow can use. Null when no draw finds one.
   */
  pickMovable(rng: Rng, now: number): PoolEntry | null {
    for (let attempt = 0; attempt < 20; attempt++) {
      const entry = this.held[rng.int(this.held.length)]
      if (entry === undefined) return null
      const settled = entry.app.entries.filter((e) => e.effective <= now - 1000).length
      if (settled >= 2) return entry
    }
    return null
  }
}
