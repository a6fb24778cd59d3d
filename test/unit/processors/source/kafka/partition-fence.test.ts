import { describe, expect, it } from 'vitest'
import type { Checkpoint } from '../../../../../pipeline/checkpoint.ts'
import { fenceFor, PartitionFence, PartitionFencedError, type FenceableCheckpointStore, type Membership } from '../../../../../processors/source/kafka/partition-fence.ts'

/** The rules of sinks/clickhouse/checkpoint-store.ts over an array: highest fence, then newest; claims skipped on request. */
class MemoryCheckpoints implements FenceableCheckpointStore {
  readonly rows: (Checkpoint & { fence: number; version: number })[] = []
  fenceReads = 0

  write(checkpoints: readonly Checkpoint[]): Promise<void> {
    for (const checkpoint of checkpoints) this.rows.push({ ...checkpoint, fence: checkpoint.fence ?? 0, version: this.rows.length })
    return Promise.resolve()
  }

  load(_source: string, stream: string, options: { skipClaims?: boolean } = {}): Promise<Map<string, Checkpoint>> {
    const candidates = this.rows.filter((row) => row.stream === stream && !(options.skipClaims === true && isClaim(row)))
    const best = new Map<string, Checkpoint & { fence: number; version: number }>()
    for (const row of candidates) {
      const held = best.get(row.partition)
      if (held === undefined || row.fence > held.fence || (row.fence === held.fence && row.version > held.version)) best.set(row.partition, row)
    }
    return Promise.resolve(new Map([...best].filter(([, row]) => !isClaim(row))))
  }

  highestFences(_source: string, stream: string, partitions?: readonly string[]): Promise<Map<string, number>> {
    this.fenceReads++
    const result = new Map<string, number>()
    for (const row of this.rows.filter((candidate) => candidate.stream === stream && (partitions?.includes(candidate.partition) ?? true))) {
      result.set(row.partition, Math.max(result.get(row.partition) ?? 0, row.fence))
    }
    return Promise.resolve(result)
  }
}

function isClaim(row: Checkpoint): boolean {
  return row.position === undefined && row.pending === undefined && row.state === ''
}

const intent = (from: string, to: string, committed: string | undefined): Checkpoint => ({ source: 'kafka', stream: 't', partition: '0', position: committed, pending: { from, to }, state: '' })
const commit = (position: string): Checkpoint => ({ source: 'kafka', stream: 't', partition: '0', position, pending: undefined, state: '' })

/** A member the coordinator still counts in `generation` (or, with `current` false, one it dropped). */
function generation(id: number, current = true): Membership {
  return { generation: id, stillMember: () => Promise.resolve(current) }
}

interface Member {
  fence: PartitionFence
  fencedOut: PartitionFencedError[]
  clock: { ms: number }
}

function member(store: MemoryCheckpoints): Member {
  const fencedOut: PartitionFencedError[] = []
  const clock = { ms: 0 }
  const fence = new PartitionFence({ store, source: 'kafka', recheckAfterMs: 1500, onFenced: (error) => fencedOut.push(error), now: () => clock.ms })
  return { fence, fencedOut, clock }
}

describe('fenceFor', () => {
  it('orders a later generation above, and starts a new epoch when the generation restarted', () => {
    expect(fenceFor(5, 0)).toBe(5)
    expect(fenceFor(6, 5)).toBe(6)
    // The group was deleted and made anew: generation 1 must still beat the old rows' 5.
    const reborn = fenceFor(1, 5)
    expect(reborn).toBeGreaterThan(5)
    expect(fenceFor(2, reborn)).toBeGreaterThan(reborn)
    expect(fenceFor(1, reborn)).toBeGreaterThan(reborn)
  })
})

describe('PartitionFence', () => {
  it('refuses a stale owner’s block once the new owner has claimed the partition, and everything after', async () => {
    const store = new MemoryCheckpoints()
    const stale = member(store)
    await stale.fence.claim('t', ['0'], generation(5))
    await stale.fence.write([intent('0', '99', undefined)])
    await stale.fence.write([commit('99')])

    const successor = member(store)
    const claimed = await successor.fence.claim('t', ['0'], generation(6))
    expect(claimed.get('0')?.position).toBe('99')

    // Woken, the stale owner records its next intent, then reads the claim back: the block is not inserted.
    await expect(stale.fence.write([intent('100', '199', '99')])).rejects.toBeInstanceOf(PartitionFencedError)
    expect(stale.fencedOut).toHaveLength(1)
    expect(stale.fencedOut[0]?.message).toMatch(/^fenced out of Kafka partition t\/0: another processor claimed it \(fence generation 6, ours generation 5\)/)
    // Fenced for good: a commit is refused without being written.
    const rows = store.rows.length
    await expect(stale.fence.write([commit('199')])).rejects.toBeInstanceOf(PartitionFencedError)
    expect(store.rows).toHaveLength(rows)
    expect(stale.fencedOut).toHaveLength(1)
    // The refused intent landed under the old fence and loses to the checkpoint the claim kept under the new one.
    expect((await successor.fence.load('kafka', 't')).get('0')).toMatchObject({ position: '99', pending: undefined, fence: 6 })
  })

  it('hands an intent recorded before the claim to the new owner, so it cuts the same block', async () => {
    const store = new MemoryCheckpoints()
    const stale = member(store)
    await stale.fence.claim('t', ['0'], generation(5))
    await stale.fence.write([intent('0', '99', undefined)])

    const claimed = await member(store).fence.claim('t', ['0'], generation(6))
    expect(claimed.get('0')?.pending).toEqual({ from: '0', to: '99' })
  })

  it('costs one read per round (after the intent) while the partition was confirmed lately', async () => {
    const store = new MemoryCheckpoints()
    const { fence, clock } = member(store)
    await fence.claim('t', ['0'], generation(5))
    for (let round = 0; round < 3; round++) {
      clock.ms += 1000
      const reads = store.fenceReads
      await fence.write([intent(String(round * 100), String(round * 100 + 99), undefined)])
      await fence.write([commit(String(round * 100 + 99))])
      expect(store.fenceReads - reads).toBe(1)
    }
  })

  it('reads the fence before writing anything after a pause: a woken owner writes no row at all', async () => {
    const store = new MemoryCheckpoints()
    const stale = member(store)
    await stale.fence.claim('t', ['0'], generation(5))
    await member(store).fence.claim('t', ['0'], generation(6))
    stale.clock.ms += 4000
    const rows = store.rows.length
    await expect(stale.fence.write([intent('0', '99', undefined)])).rejects.toBeInstanceOf(PartitionFencedError)
    expect(store.rows).toHaveLength(rows)
  })

  it('lets a commit written soon after its check land under the old fence, where it is never read', async () => {
    const store = new MemoryCheckpoints()
    const stale = member(store)
    await stale.fence.claim('t', ['0'], generation(5))
    await stale.fence.write([intent('0', '99', undefined)])
    const successor = member(store)
    await successor.fence.claim('t', ['0'], generation(6))
    // Its insert was covered by the intent the successor read, so the late commit only repeats what that replay proves.
    await stale.fence.write([commit('99')])
    expect((await successor.fence.load('kafka', 't')).get('0')).toMatchObject({ pending: { from: '0', to: '99' }, fence: 6 })
  })

  it('writes every row under its claim’s fence and refuses partitions it holds no claim for', async () => {
    const store = new MemoryCheckpoints()
    const { fence } = member(store)
    await fence.claim('t', ['0'], generation(7))
    await fence.write([commit('10')])
    expect(store.rows.map((row) => row.fence)).toEqual([7, 7])
    expect(store.rows.map((row) => row.position)).toEqual([undefined, '10'])
    fence.release('t', '0')
    await expect(fence.write([commit('11')])).rejects.toThrow(/no claim held for Kafka partition t\/0/)
  })

  it('keeps its fence when a claim is retried within one generation', async () => {
    const store = new MemoryCheckpoints()
    const { fence } = member(store)
    await fence.claim('t', ['0'], generation(7))
    await fence.claim('t', ['0'], generation(7))
    expect(store.rows.map((row) => row.fence)).toEqual([7, 7])
  })

  it('fences out a stale member whose late claim finds a later generation, writing no claim', async () => {
    const store = new MemoryCheckpoints()
    await member(store).fence.claim('t', ['0'], generation(6))
    const stale = member(store)
    const rows = store.rows.length
    await expect(stale.fence.claim('t', ['0'], generation(5, false))).rejects.toThrow(/fence generation 6, ours generation 5/)
    expect(store.rows).toHaveLength(rows)
    expect(stale.fencedOut).toHaveLength(1)
  })

  it('starts a new epoch for a member the coordinator still counts, when the group was made anew', async () => {
    const store = new MemoryCheckpoints()
    const old = member(store)
    await old.fence.claim('t', ['0'], generation(40))
    await old.fence.write([commit('500')])
    const reborn = member(store)
    const claimed = await reborn.fence.claim('t', ['0'], generation(1))
    expect(claimed.get('0')?.position).toBe('500')
    await reborn.fence.write([commit('600')])
    // The old group's member, woken, loses to the new epoch.
    await expect(old.fence.write([intent('501', '599', '500')])).rejects.toBeInstanceOf(PartitionFencedError)
    expect((await reborn.fence.load('kafka', 't')).get('0')?.position).toBe('600')
  })

  it('fences out a member whose claim reads a checkpoint a later owner claimed meanwhile', async () => {
    const store = new MemoryCheckpoints()
    const stale = member(store)
    const load = store.load.bind(store)
    // The later owner claims and commits between the stale member's claim row and its read.
    store.load = async (source, stream, options) => {
      store.load = load
      const successor = member(store)
      await successor.fence.claim('t', ['0'], generation(6))
      await successor.fence.write([commit('700')])
      return load(source, stream, options)
    }
    await expect(stale.fence.claim('t', ['0'], generation(5))).rejects.toThrow(/fence generation 6, ours generation 5/)
    expect(store.rows.filter((row) => row.fence === 5 && row.position !== undefined)).toEqual([])
  })
})
