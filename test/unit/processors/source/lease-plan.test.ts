// The lease taker's rules without DynamoDB: take free and expired leases up to an even share, judge
// expiry on this worker's clock, steal one lease at most and only from a worker above its share (or at
// it, when this one is two short), and
// never lease a child before its parents are finished.
import { describe, expect, it } from 'vitest'
import { nextExpiry, observe, planRound, type Observation, type PlanInput } from '../../../../processors/source/kinesis/lease-plan.ts'
import type { Lease } from '../../../../processors/source/kinesis/lease-table.ts'

function lease(shard: string, owner: string, extra: Partial<Lease> = {}): Lease {
  return { key: `s/${shard}`, stream: 's', shard, parents: [], owner, counter: 1, renewedAt: 0, finished: false, stealer: undefined, readingSince: 0, ...extra }
}

function plan(leases: Lease[], overrides: Partial<PlanInput> = {}): ReturnType<typeof planRound> {
  const held = new Set(leases.filter((item) => item.owner === 'me').map((item) => item.key))
  return planRound({ leases, me: 'me', held, seen: new Map(), nowMs: 10_000, leaseDurationMs: 3000, exclusive: false, minReadingMs: 3000, busy: false, ...overrides })
}

const shards = (count: number, owner: (index: number) => string): Lease[] => Array.from({ length: count }, (_, index) => lease(`shard-${index}`, owner(index)))

describe('planRound', () => {
  it('takes every free lease when alone', () => {
    expect(plan(shards(8, () => '')).take).toHaveLength(8)
  })

  it('takes only up to an even share of what is free', () => {
    const leases = [...shards(4, () => 'a'), ...shards(4, () => '').map((item, index) => ({ ...item, key: `s/free-${index}`, shard: `free-${index}` }))]
    // Two workers (a and me) and 8 leases: a holds 4, so me takes 4.
    expect(plan(leases).take).toHaveLength(4)
    const three = [...shards(3, () => 'a'), ...shards(3, () => 'b').map((item, index) => ({ ...item, key: `s/b-${index}` })), lease('x', ''), lease('y', '')]
    expect(plan(three).take.map((item) => item.shard)).toEqual(['x', 'y'])
  })

  it('treats a lease as expired a lease duration after its owner renewed it', () => {
    const stale = lease('0', 'dead', { counter: 7, renewedAt: 800 })
    const seen = new Map<string, Observation>()
    observe(seen, [stale], 1000, 500)
    expect(plan([stale], { seen, nowMs: 3799 }).take).toEqual([])
    expect(plan([stale], { seen, nowMs: 3800 }).take).toHaveLength(1)
    // A renewal (new counter) restarts the clock.
    const renewed = { ...stale, counter: 8, renewedAt: 3500 }
    observe(seen, [renewed], 3600, 500)
    expect(plan([renewed], { seen, nowMs: 6499 }).take).toEqual([])
    expect(plan([renewed], { seen, nowMs: 6500 }).take).toHaveLength(1)
  })

  it('counts from no earlier than a renew interval before first sight, and no later than it, whatever the owner\'s clock says', () => {
    const seen = new Map<string, Observation>()
    // Renewed long ago by the owner's clock (or a clock far behind): a renew interval before first sight.
    observe(seen, [lease('old', 'dead', { renewedAt: 10 })], 5000, 500)
    expect(seen.get('s/old')?.sinceMs).toBe(4500)
    // Renewed "in the future" (the owner's clock ahead): from first sight.
    observe(seen, [lease('ahead', 'a', { renewedAt: 9000 })], 5000, 500)
    expect(seen.get('s/ahead')?.sinceMs).toBe(5000)
    // The same counter seen again keeps its first reckoning.
    observe(seen, [lease('old', 'dead', { renewedAt: 10 })], 6000, 500)
    expect(seen.get('s/old')?.sinceMs).toBe(4500)
  })

  it('steals one lease from the most loaded worker, and only above its share', () => {
    const leases = [...shards(5, () => 'a'), ...shards(3, () => 'b').map((item, index) => ({ ...item, key: `s/b-${index}` }))]
    const result = plan(leases)
    expect(result.take).toEqual([])
    expect(result.steal?.owner).toBe('a')
    // 3/3/2 is even: nobody steals.
    const even = [...shards(3, () => 'a'), ...shards(3, () => 'b').map((item, index) => ({ ...item, key: `s/b-${index}` })), ...shards(2, () => 'me').map((item, index) => ({ ...item, key: `s/m-${index}` }))]
    expect(plan(even).steal).toBeUndefined()
  })

  it('steals from a worker at its share when two or more short of it: 4 shards on 3 workers end 2/1/1, not 2/2/0', () => {
    const twoTwo = [...shards(2, () => 'a'), ...shards(2, () => 'b').map((item, index) => ({ ...item, key: `s/b-${index}` }))]
    expect(plan(twoTwo).steal?.owner).toMatch(/^[ab]$/)
    const twoOneOne = [...shards(2, () => 'a'), lease('b-0', 'b'), lease('m-0', 'me')]
    expect(plan(twoOneOne).steal).toBeUndefined()
  })

  it('asks for no second lease while one asked for is not handed over', () => {
    const [first, ...rest] = shards(8, () => 'a')
    if (first === undefined) throw new Error('no lease')
    expect(plan([{ ...first, stealer: 'me' }, ...rest]).steal).toBeUndefined()
  })

  it('asks only for a shard its owner has read for a while, the one read longest', () => {
    const fresh = (index: number, readingSince: number | undefined): Lease => lease(`a-${index}`, 'a', { readingSince })
    // a holds 4 of 4 (me and b hold none): me may ask for one, but a is still restoring two and has read one for 1 s only.
    const leases = [fresh(0, undefined), fresh(1, undefined), fresh(2, 9000), lease('b-0', 'b', { readingSince: 0 }), lease('b-1', 'b', { readingSince: 0 })]
    expect(plan(leases).steal).toBeUndefined()
    const settled = [...leases, fresh(3, 6500), fresh(4, 5000)]
    expect(plan(settled).steal?.shard).toBe('a-4')
    expect(plan(settled, { nowMs: 7999 }).steal).toBeUndefined()
  })

  it('takes a lease handed over to it even past its share', () => {
    // me holds 2 of 4 already (its share of 4 on 2 workers), and a handed it one more on an earlier request.
    const leases = [lease('m-0', 'me'), lease('m-1', 'me'), lease('a-0', 'a'), { ...lease('h', 'me'), readingSince: undefined }]
    const held = new Set(['s/m-0', 's/m-1'])
    expect(plan(leases, { held }).take.map((item) => item.shard)).toEqual(['h'])
  })

  it('asks for nothing while it is still starting shards it took', () => {
    const leases = [...shards(5, () => 'a'), ...shards(3, () => 'b').map((item, index) => ({ ...item, key: `s/b-${index}` }))]
    expect(plan(leases).steal?.owner).toBe('a')
    expect(plan(leases, { busy: true }).steal).toBeUndefined()
  })

  it('leases a child only once every parent is finished', () => {
    const [reading, finished] = [lease('p1', 'a'), lease('p2', '', { finished: true })]
    const child = lease('c', '', { parents: ['p1', 'p2'] })
    expect(plan([reading, finished, child]).take.map((item) => item.shard)).not.toContain('c')
    expect(plan([reading, finished, child]).waitingOnParents).toBe(1)
    const done = [{ ...reading, finished: true, owner: '' }, finished, child]
    expect(plan(done).take.map((item) => item.shard)).toEqual(['c'])
  })

  it('on its own table takes what a dead predecessor held at once', () => {
    expect(plan(shards(4, () => 'old'), { exclusive: true }).take).toHaveLength(4)
  })
})

describe('planRound over several streams', () => {
  it('spreads each stream on its own', () => {
    const other = (shard: string, owner: string): Lease => ({ ...lease(shard, owner), key: `t/${shard}`, stream: 't' })
    // a holds both of stream t; stream s is all free: me takes half of s and asks a for one of t.
    const leases = [other('0', 'a'), other('1', 'a'), ...shards(4, () => '')]
    const result = plan(leases)
    expect(result.take.map((item) => item.key)).toEqual(['s/shard-0', 's/shard-1'])
    expect(result.steal?.stream).toBe('t')
  })
})

describe('nextExpiry', () => {
  it('is when the soonest lease of another worker expires on this clock, if still ahead', () => {
    const seen = new Map<string, Observation>()
    const at = { renewedAt: 1000 }
    const [early, late, mine, free, moved] = [lease('0', 'a', at), lease('1', 'b', at), lease('2', 'me', at), lease('3', '', at), lease('4', 'a', at)]
    observe(seen, [early, late, mine, free, moved], 1000, 500)
    observe(seen, [{ ...late, counter: 2, renewedAt: 1500 }], 1600, 500)
    // 'moved' was renewed since it was seen: its observation no longer counts.
    const now = [early, { ...late, counter: 2, renewedAt: 1500 }, mine, free, { ...moved, counter: 5 }]
    expect(nextExpiry(now, seen, 'me', 2000, 3000)).toBe(4000)
    expect(nextExpiry(now, seen, 'me', 4000, 3000)).toBe(4500)
    // An expiry already past (a lease left for another worker to take) never makes the loop spin.
    expect(nextExpiry(now, seen, 'me', 4500, 3000)).toBeUndefined()
  })
})
