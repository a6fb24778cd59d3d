// The seeded PRNG: reproducible, in range, with the distributions its helpers promise.
import { describe, expect, it } from 'vitest'
import { Rng, WeightedTable, hash32 } from '../../../producers/generators/random.ts'
import { mean, median } from './helpers.ts'

function draws(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw)
}

describe('Rng', () => {
  it('replays the same sequence for a seed, and another for another seed', () => {
    const a = new Rng(42)
    const b = new Rng(42)
    const c = new Rng(43)
    const seqA = draws(1000, () => a.u32())
    expect(draws(1000, () => b.u32())).toEqual(seqA)
    const seqC = draws(1000, () => c.u32())
    expect(seqC.filter((v, i) => v === seqA[i]).length).toBeLessThan(3)
  })

  it('forks streams that differ from the parent and from each other', () => {
    const root = new Rng(7)
    const one = root.fork(1).u32()
    const two = new Rng(7).fork(2).u32()
    expect(one).not.toBe(two)
    expect(new Rng(7).fork(1).u32()).toBe(one)
  })

  it('keeps float in [0, 1), int in [0, n) and between inclusive of both ends', () => {
    const rng = new Rng(1)
    const floats = draws(100_000, () => rng.float())
    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...floats)).toBeLessThan(1)
    expect(mean(floats)).toBeCloseTo(0.5, 2)
    const ints = new Set(draws(10_000, () => rng.int(6)))
    expect([...ints].sort()).toEqual([0, 1, 2, 3, 4, 5])
    const between = new Set(draws(10_000, () => rng.between(3, 5)))
    expect([...between].sort()).toEqual([3, 4, 5])
  })

  it('draws exponentials with the asked mean and lognormals with the asked median', () => {
    const rng = new Rng(2)
    expect(mean(draws(200_000, () => rng.exponential(250)))).toBeGreaterThan(245)
    expect(mean(draws(200_000, () => rng.exponential(250)))).toBeLessThan(255)
    const logs = draws(100_000, () => rng.lognormal(1500, 0.6))
    expect(median(logs)).toBeGreaterThan(1470)
    expect(median(logs)).toBeLessThan(1530)
    // sigma shows in the spread: the 84th percentile sits near median * e^sigma.
    const sorted = [...logs].sort((x, y) => x - y)
    expect((sorted[84_000] ?? 0) / 1500).toBeCloseTo(Math.exp(0.6), 1)
  })

  it('makes unique version-4 UUIDs and hex ids that replay with the seed', () => {
    const rng = new Rng(3)
    const ids = draws(100_000, () => 0).map(() => rng.uuid())
    for (const id of ids.slice(0, 1000)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(ids).size).toBe(ids.length)
    expect(new Rng(3).uuid()).toBe(ids[0])
    const hex = rng.hex(17)
    expect(hex).toMatch(/^[0-9a-f]{17}$/)
  })

  it('chance(p) is true about p of the time', () => {
    const rng = new Rng(4)
    const hits = draws(100_000, () => (rng.chance(0.03) ? 1 : 0)).reduce((s, v) => s + v, 0)
    expect(hits / 100_000).toBeGreaterThan(0.028)
    expect(hits / 100_000).toBeLessThan(0.032)
  })
})

describe('WeightedTable', () => {
  it('picks in proportion to the weights and never a zero-weight entry', () => {
    const rng = new Rng(5)
    const table = new WeightedTable([
      ['a', 1],
      ['never', 0],
      ['b', 3],
    ] as const)
    const counts = new Map<string, number>()
    for (let i = 0; i < 40_000; i++) {
      const v = table.pick(rng)
      counts.set(v, (counts.get(v) ?? 0) + 1)
    }
    expect(counts.get('never')).toBeUndefined()
    expect((counts.get('b') ?? 0) / (counts.get('a') ?? 1)).toBeGreaterThan(2.8)
    expect((counts.get('b') ?? 0) / (counts.get('a') ?? 1)).toBeLessThan(3.2)
  })

  it('refuses tables that cannot pick', () => {
    expect(() => new WeightedTable([])).toThrow(RangeError)
    expect(() => new WeightedTable([['x', 0]])).toThrow(RangeError)
    expect(() => new WeightedTable([['x', -1]])).toThrow(RangeError)
  })
})

describe('hash32', () => {
  it('is stable and spreads neighbouring inputs', () => {
    expect(hash32(1, 2)).toBe(hash32(1, 2))
    const buckets = new Array<number>(16).fill(0)
    for (let i = 0; i < 16_000; i++) {
      const bucket = hash32(9, i) % 16
      buckets[bucket] = (buckets[bucket] ?? 0) + 1
    }
    expect(Math.min(...buckets)).toBeGreaterThan(850)
    expect(Math.max(...buckets)).toBeLessThan(1150)
  })
})
