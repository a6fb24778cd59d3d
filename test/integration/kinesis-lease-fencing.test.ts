// The lease counter as a fencing token: a worker frozen (SIGSTOP) past its lease loses its shards to
// another; woken (SIGCONT), it finds its leases gone at its next renewal or commit, writes no further
// checkpoint and stops, and no event lands twice.
import { describe, expect, it } from 'vitest'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { checkpointOwner, leaseTestBed, rowCounts, spread, startWorker, trickle, type Produced } from '../helpers/kinesis-workers.ts'

describe('a kinesis worker paused past its lease', () => {
  it('is fenced out: no position committed after it wakes, no duplicate row', async () => {
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
    expect(await staleWrites()).toBe(writtenBeforeWaking)

    await producing
    const total = produced.total
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === total, { what: 'every produced event', timeoutMs: 60_000 })
    other.child.kill('SIGTERM')
    expect(await other.exited).toBe(0)
    expect(await rowCounts(bed)).toEqual({ rows: total, unique: total })
  })
})
