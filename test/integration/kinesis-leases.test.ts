// Scaling Kinesis out: three `pulse process --source kinesis` children share an 8-shard stream through
// a lease table on dynalite while a producer runs. They spread the leases 3/3/2 (the last to start
// steals its share), a killed worker's shards are taken over once its leases expire, and every event
// lands exactly once.
import { describe, expect, it } from 'vitest'
import { pollUntil } from '../helpers/services.ts'
import { LEASE_MS, RENEW_MS, leaseTestBed, openLeases, positionRegressions, rowCounts, spread, startWorker, trickle, type Produced } from '../helpers/kinesis-workers.ts'

describe('three kinesis workers sharing a lease table', () => {
  it('spread the shards 3/3/2, take a killed worker over within its lease, and write every event once', async () => {
    const bed = await leaseTestBed(8)
    const produced: Produced = { bySession: new Map(), total: 0 }
    const workers = [startWorker(bed, 'w1')]
    // The first takes every shard; the others join while records flow and must steal their share.
    await pollUntil(() => spread(bed), (counts) => counts[0] === 8, { what: 'w1 holding all 8 leases', timeoutMs: 30_000 })
    const producing = trickle(bed, 6000, { slice: 150, intervalMs: 250, seed: 7, produced })
    const joined = Date.now()
    workers.push(startWorker(bed, 'w2'), startWorker(bed, 'w3'))
    await pollUntil(() => spread(bed), (counts) => counts.join('/') === '3/3/2', { what: 'leases spread 3/3/2', timeoutMs: 60_000 })
    const spreadMs = Date.now() - joined
    console.info(`leases spread 3/3/2 ${spreadMs} ms after two workers joined`)
    expect(spreadMs).toBeLessThan(60_000)

    // SIGKILL the worker with the most shards: no release, so the others wait out its leases.
    const leases = await openLeases(bed)
    const victimId = ['w1', 'w2', 'w3'].find((id) => leases.filter((lease) => lease.owner === id).length === 3) ?? 'w1'
    const victim = workers[Number(victimId.slice(1)) - 1]
    victim?.child.kill('SIGKILL')
    const killedAt = Date.now()
    await pollUntil(() => openLeases(bed), (now) => now.every((lease) => lease.owner !== victimId && lease.owner !== ''), { what: 'the killed worker’s shards taken over', timeoutMs: 30_000 })
    const takeoverMs = Date.now() - killedAt
    console.info(`a SIGKILLed worker's shards taken over after ${takeoverMs} ms (lease ${LEASE_MS} ms, renew ${RENEW_MS} ms)`)
    // The others count its leases' expiry from its last renewal, which came before the kill, and scan
    // at that moment: within the lease duration, plus a scan, a take and this poll's 100 ms.
    expect(takeoverMs).toBeLessThan(LEASE_MS + 500)
    expect(await spread(bed)).toEqual([4, 4])

    await producing
    const total = produced.total
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === total, { what: 'every produced event', timeoutMs: 60_000 })
    const survivors = workers.filter((worker) => worker !== victim)
    for (const worker of survivors) worker.child.kill('SIGTERM')
    expect(await Promise.all(survivors.map((worker) => worker.exited))).toEqual([0, 0])
    expect(await rowCounts(bed)).toEqual({ rows: total, unique: total })
    // One reader per shard at a time: no shard's committed position ever went backwards.
    expect(await positionRegressions(bed)).toBe(0)
    // Stopped cleanly, the survivors released every lease.
    expect((await openLeases(bed)).filter((lease) => lease.owner !== '')).toEqual([])
  })
})
