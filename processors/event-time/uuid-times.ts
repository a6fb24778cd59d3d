// Event times keyed by UUID, held as the UUID's 128 bits in typed arrays (open addressing, linear
// probing, at most half full) instead of a Map of 36-character strings: 48 to 96 bytes per id instead
// of about 110 plus the string, and nothing for the garbage collector to trace. Exact: two ids share a slot only if all 128 bits match.

const WORDS = 4
const MIN_CAPACITY = 1024

/** The 128 bits of a canonical (lower-case, hyphenated) UUID, or false for any other text. */
export function parseUuid(text: string, into: Uint32Array): boolean {
  if (text.length !== 36) return false
  let word = 0
  let bits = 0
  let value = 0
  for (let i = 0; i < 36; i++) {
    const code = text.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false
      continue
    }
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1
    if (digit < 0) return false
    value = ((value << 4) | digit) >>> 0
    bits += 4
    if (bits === 32) {
      into[word++] = value
      value = 0
      bits = 0
    }
  }
  return true
}

function mix(h: number): number {
  // murmur3's finaliser: every input bit moves every output bit (v1/v7 UUIDs share long prefixes).
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function slotHash(key: Uint32Array): number {
  return mix((key[0] as number) ^ mix((key[1] as number) ^ mix((key[2] as number) ^ mix(key[3] as number))))
}

export class UuidTimes {
  private words = new Uint32Array(0)
  /** NaN marks an empty slot. */
  private times = new Float64Array(0)
  private mask = 0
  private count = 0

  constructor(capacity = MIN_CAPACITY) {
    this.allocate(capacity)
  }

  get size(): number {
    return this.count
  }

  get(key: Uint32Array): number | undefined {
    const slot = this.find(key)
    const time = this.times[slot] as number
    return Number.isNaN(time) ? undefined : time
  }

  set(key: Uint32Array, time: number): void {
    const slot = this.find(key)
    if (Number.isNaN(this.times[slot])) {
      this.words.set(key, slot * WORDS)
      this.count++
    }
    this.times[slot] = time
    if (this.count * 2 > this.times.length) this.rebuild(this.times.length * 2, Number.NEGATIVE_INFINITY)
  }

  /** Takes every id of `other` this table does not hold yet, with its time. */
  absorb(other: UuidTimes): void {
    const key = new Uint32Array(WORDS)
    for (let slot = 0; slot < other.times.length; slot++) {
      const time = other.times[slot] as number
      if (Number.isNaN(time)) continue
      for (let w = 0; w < WORDS; w++) key[w] = other.words[slot * WORDS + w] as number
      if (this.get(key) === undefined) this.set(key, time)
    }
  }

  /** Forgets every id whose time is before `cutoff`, shrinking the table when most are gone. */
  retainFrom(cutoff: number): void {
    let live = 0
    for (const time of this.times) if (time >= cutoff) live++
    this.rebuild(capacityFor(live), cutoff)
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private find(key: Uint32Array): number {
    const { words, times, mask } = this
    const k0 = key[0] as number
    const k1 = key[1] as number
    const k2 = key[2] as number
    const k3 = key[3] as number
    for (let slot = slotHash(key) & mask; ; slot = (slot + 1) & mask) {
      if (Number.isNaN(times[slot])) return slot
      const at = slot * WORDS
      if (words[at] === k0 && words[at + 1] === k1 && words[at + 2] === k2 && words[at + 3] === k3) return slot
    }
  }

  private rebuild(capacity: number, cutoff: number): void {
    const { words, times } = this
    this.allocate(capacity)
    const key = new Uint32Array(WORDS)
    for (let slot = 0; slot < times.length; slot++) {
      const time = times[slot] as number
      if (Number.isNaN(time) || time < cutoff) continue
      for (let w = 0; w < WORDS; w++) key[w] = words[slot * WORDS + w] as number
      const target = this.find(key)
      this.words.set(key, target * WORDS)
      this.times[target] = time
      this.count++
    }
  }

  private allocate(capacity: number): void {
    this.words = new Uint32Array(capacity * WORDS)
    this.times = new Float64Array(capacity).fill(Number.NaN)
    this.mask = capacity - 1
    this.count = 0
  }
}

/** The smallest power of two that holds `live` at a load of at most a half (set() doubles past it). */
function capacityFor(live: number): number {
  let capacity = MIN_CAPACITY
  while (capacity < live * 2) capacity *= 2
  return capacity
}
