// Resharding under load across workers: three `pulse process` share a stream; while records flow,
// two shards are split and two others merged. A child is leased (by whichever worker) only after its parents are read to their end and
// their final positions committed, so every record is written once and each app session's events
// are processed in the order they were produced.
import { describe, expect, it } from 'vitest'
import { embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { leaseTestBed, mergeShards, rowCounts, splitShard, startWorker, spread, trickle, type Produced } from '../helpers/kinesis-workers.ts'

interface Row {
  app_session_id: string
  event_id: string
  ingest_time: string
  source_partition: string
}

describe('three kinesis workers through two splits and a merge', () => {
  it('write every record of parents and children once, in order per app session', async () => {
    const bed = await leaseTestBed(4)
    const produced: Produced = { bySession: new Map(), total: 0 }
    const started = Date.now()
    const workers = [startWorker(bed, 'w1'), startWorker(bed, 'w2'), startWorker(bed, 'w3')]
    await pollUntil(() => spread(bed), (counts) => counts.join('/') === '2/1/1', { what: 'leases spread 2/1/1', timeoutMs: 60_000 })
    const producing = trickle(bed, 4000, { slice: 100, intervalMs: 200, seed: 13, produced })
    await pollUntil(() => Promise.resolve(produced.total), (total) => total >= 1000, { what: 'traffic before the reshard' })
    await splitShard(bed, 'shardId-000000000000')
    await splitShard(bed, 'shardId-000000000001')
    await mergeShards(bed, 'shardId-000000000002', 'shardId-000000000003')
    // The reshard happened under load: the producer was still putting records when it was done.
    expect(produced.total).toBeLessThan(4000)
    await producing
    const total = produced.total
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === total, { what: 'every produced event', timeoutMs: 60_000 })

    const leases = (await bed.table.list()).filter((lease) => lease.stream === bed.stream)
    expect(leases.filter((lease) => lease.finished).map((lease) => lease.shard).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003'])
    expect(leases.filter((lease) => !lease.finished)).toHaveLength(5)
    for (const worker of workers) worker.child.kill('SIGTERM')
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0, 0])
    expect(await rowCounts(bed)).toEqual({ rows: total, unique: total })

    const { clickhouse } = embeddedClickHouse()
    const result = await clickhouse.client.query({ query: `SELECT app_session_id, event_id, toString(ingest_time) AS ingest_time, source_partition FROM ${bed.pipeline.database}.client_events`, format: 'JSONEachRow' })
    const rows = await result.json<Row>()
    // Records were read from the children too, not only from the parents.
    expect(new Set(rows.map((row) => row.source_partition)).size).toBe(9)
    // Sessions whose events sit in a parent and a child: the ones the order check is about.
    const partitionsOf = new Map<string, Set<string>>()
    for (const row of rows) partitionsOf.set(row.app_session_id, (partitionsOf.get(row.app_session_id) ?? new Set()).add(row.source_partition))
    expect([...partitionsOf.values()].filter((partitions) => partitions.size > 1).length).toBeGreaterThan(10)
    const ingested = new Map(rows.map((row) => [row.event_id, row.ingest_time]))
    const outOfOrder = [...produced.bySession].filter(([, ids]) => ids.some((id, index) => index > 0 && (ingested.get(id) ?? '') < (ingested.get(ids[index - 1] ?? '') ?? '')))
    expect(outOfOrder.map(([session]) => session)).toEqual([])
    console.info(`three workers through two splits and a merge: ${total} events in ${Date.now() - started} ms`)
  })
})
