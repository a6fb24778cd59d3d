// The harness's own seeded randomness (mulberry32): fault moments and restart delays are drawn from
// the run's seed, so a failing run can be repeated with the same schedule.
export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max]. */
  between(min: number, max: number): number
}

export function seededRng(seed: number): Rng {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, between: (min, max) => min + Math.floor(next() * (max - min + 1)) }
}
