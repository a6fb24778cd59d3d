// The lease counter as a fencing token: a worker frozen (SIGSTOP) past its lease loses its shards to
// another; woken (SIGCONT), it finds its leases gone at its next renewal or commit and stops. The one
// checkpoint it may have had in flight (frozen between its lease check and its insert) lands under its
// old fence and never wins: every shard resumes from the new owner's. No event lands twice.
import { describe, expect, it } from 'vitest'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { checkpointOwner, leaseTestBed, rowCounts, spread, startWorker, trickle, winningOwners, type Produced } from '../helpers/kinesis-workers.ts'

describe('a kinesis worker paused past its lease', () => {
  it('is fenced out: no checkpoint of its wins after it wakes, no duplicate row', async () => {
    const bed = await leaseTestBed(8)
    const { clickhouse } = embeddedClickHouse()
    const produced: Produced = { bySession: new Map(), total: 0 }
    const stale = startWorker(bed, 'w1')
    await pollUntil(() => spread(bed), (counts) => counts[0] === 8, { what: 'w1 holding all 8 leases', timeoutMs: 30_000 })
    // Keep every checkpoint row (no merge collapses them), so what the stale worker wrote can be counted.
    await clickhouse.client.command({ query: `SYSTEM STOP MERGES ${bed.pipeline.database}.checkpoints` })
    const producing = trickle(bed, 5000, { slice: 125, intervalMs: 250, seed: 11, produced })
    const other = startWorker(bed, 'w2')
    await pollUntil(() => spread(bed), (counts) => counts.join('/') === '4/4', { what: 'leases spread 4/4', timeoutMs: 60_000 })

    const staleWrites = (): Promise<number> =>
      count(clickhouse, `SELECT count() FROM ${bed.pipeline.database}.checkpoints WHERE owner = '${checkpointOwner(stale)}' AND stream = '${bed.stream}'`)
    stale.child.kill('SIGSTOP')
    // Every lease of every stream: the frozen worker may hold the one-shard streams too.
    const everyLease = async (): Promise<string[]> => (await bed.table.list()).filter((lease) => !lease.finished).map((lease) => lease.owner)
    await pollUntil(everyLease, (owners) => owners.every((owner) => owner === 'w2'), { what: 'w2 taking the frozen worker’s shards', timeoutMs: 30_000 })
    const writtenBeforeWaking = await staleWrites()
    expect(writtenBeforeWaking).toBeGreaterThan(0)
    stale.child.kill('SIGCONT')

    // Woken, it learns it was fenced out and stops instead of committing.
    const code = await Promise.race([stale.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 20_000))])
    expect(code).not.toBe('running')
    expect(code).not.toBe(0)
    expect(stale.output()).toMatch(/lease .* is no longer held by this worker/)
    // At most the one write it had in flight, a row per shard it held (in practice none: see the README).
    const late = (await staleWrites()) - writtenBeforeWaking
    console.info(`checkpoint rows the woken worker landed: ${late}`)
    expect(late).toBeLessThanOrEqual(4)
    // Once w2 has claimed the shards it took, every shard resumes from a checkpoint of w2's.
    const successor = checkpointOwner(other)
    await pollUntil(() => winningOwners(bed), (owners) => owners.size === 8 && [...owners.values()].every((owner) => owner === successor), { what: 'w2’s checkpoints winning on every shard', timeoutMs: 30_000 })

    await producing
    const total = produced.total
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === total, { what: 'every produced event', timeoutMs: 60_000 })
    other.child.kill('SIGTERM')
    expect(await other.exited).toBe(0)
    expect(await rowCounts(bed)).toEqual({ rows: total, unique: total })
  })
})
