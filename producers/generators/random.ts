// Seeded PRNG (xoshiro128**) and the draws the traffic generators need. Every random choice goes through
// one Rng, ids included, so a seed replays the same traffic bit for bit on any machine.

const TWO_POW_32 = 4294967296

/** Char codes of the hex digits. */
const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
const DASH = 45
/**
 * Scratch for id characters. Ids are built as char codes and made into a string in one call: a flat
 * 36-byte string instead of a tree of concatenated pieces (measured: 64 bytes per uuid against 416),
 * which matters when hundreds of thousands of events wait in the send queue.
 */
const scratch: number[] = new Array<number>(36).fill(48)

/** Writes `digits` hex digits of value (most significant first) into scratch at pos; returns the next pos. */
function writeHex(value: number, digits: number, pos: number): number {
  let p = pos
  for (let shift = 4 * (digits - 1); shift >= 0; shift -= 4) scratch[p++] = HEX_CODES[(value >>> shift) & 15] ?? 48
  return p
}

/** murmur3's finaliser: a stateless, well-mixed 32-bit hash of a 32-bit value. */
export function mix32(value: number): number {
  let h = value >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * A stable hash of two integers. Used where a draw must not depend on how many draws came before
 * (a profile's A/B cell, a title's length), so it stays the same whatever else the generator did.
 */
export function hash32(a: number, b: number): number {
  return mix32(mix32(a) ^ Math.imul(b + 0x9e3779b9, 0x27d4eb2f))
}

export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  // Box-Muller yields normals in pairs; keeping the spare halves the cost of lognormal draws.
  private spare = 0
  private hasSpare = false

  constructor(seed: number) {
    // Each state word from a distinct hash of the seed: nearby seeds give unrelated streams, and the
    // state is never all zero (xoshiro's one bad state).
    this.s0 = hash32(seed, 1)
    this.s1 = hash32(seed, 2)
    this.s2 = hash32(seed, 3)
    this.s3 = hash32(seed, 4) | 1
  }

  /** An independent generator for one purpose, so its draws do not shift when another purpose draws more. */
  fork(label: number): Rng {
    return new Rng(hash32(this.u32(), label))
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0
    const t = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / TWO_POW_32
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.float()
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n)
  }

  /** Uniform integer in [low, high], both ends included. */
  between(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1))
  }

  chance(p: number): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list')
    // In range by construction: int(n) < n.
    return items[this.int(items.length)] as T
  }

  /** Exponential with the given mean; (u + 0.5) keeps log away from zero. */
  exponential(mean: number): number {
    return -mean * Math.log((this.u32() + 0.5) / TWO_POW_32)
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false
      return this.spare
    }
    const radius = Math.sqrt(-2 * Math.log((this.u32() + 0.5) / TWO_POW_32))
    const angle = 2 * Math.PI * this.float()
    this.spare = radius * Math.sin(angle)
    this.hasSpare = true
    return radius * Math.cos(angle)
  }

  /** Lognormal given by its median and log-space sigma: the median is the number people quote. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal())
  }

  /** A version-4-shaped UUID drawn from this generator, so ids replay with the seed. */
  uuid(): string {
    const a = this.u32()
    const b = ((this.u32() & 0xffff0fff) | 0x4000) >>> 0
    const c = ((this.u32() & 0x3fffffff) | 0x80000000) >>> 0
    const d = this.u32()
    let p = writeHex(a, 8, 0)
    scratch[p++] = DASH
    p = writeHex(b >>> 16, 4, p)
    scratch[p++] = DASH
    p = writeHex(b & 0xffff, 4, p)
    scratch[p++] = DASH
    p = writeHex(c >>> 16, 4, p)
    scratch[p++] = DASH
    p = writeHex(c & 0xffff, 4, p)
    writeHex(d, 8, p)
    return String.fromCharCode.apply(null, scratch)
  }

  /** n lowercase hex digits (n ≤ 32). */
  hex(n: number): string {
    for (let p = 0; p < n; p += 8) writeHex(this.u32(), 8, p)
    return String.fromCharCode.apply(null, scratch.slice(0, n))
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** A fixed weighted choice, built once so each pick is one draw and a binary search. */
export class WeightedTable<T> {
  private readonly items: readonly T[]
  private readonly cumulative: Float64Array
  private readonly total: number

  constructor(entries: readonly (readonly [T, number])[]) {
    if (entries.length === 0) throw new RangeError('weighted table needs at least one entry')
    this.items = entries.map(([item]) => item)
    this.cumulative = new Float64Array(entries.length)
    let sum = 0
    entries.forEach(([, weight], i) => {
      if (!(weight >= 0)) throw new RangeError(`weight must be >= 0, got ${weight}`)
      sum += weight
      this.cumulative[i] = sum
    })
    if (sum <= 0) throw new RangeError('weighted table needs a positive total weight')
    this.total = sum
  }

  pick(rng: Rng): T {
    const target = rng.float() * this.total
    let low = 0
    let high = this.cumulative.length - 1
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((this.cumulative[mid] ?? 0) > target) high = mid
      else low = mid + 1
    }
    return this.items[low] as T
  }
}
