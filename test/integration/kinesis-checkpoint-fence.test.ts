// The fence in the checkpoint rows, step by step: a worker that passed its lease check and then froze
// (its checkpoint insert held back here, as SIGSTOP would hold it) lands that checkpoint only after
// another worker took the lease over and committed. The late row carries the older lease counter, so
// resuming uses the successor's position, before and after ClickHouse merges the table; and a lease
// table made anew, whose counters start below the fences already in ClickHouse, is lifted above them.
import { describe, expect, it, inject, onTestFinished } from 'vitest'
import type { Checkpoint, CheckpointStore } from '../../pipeline/checkpoint.ts'
import { createDynamoClient } from '../../processors/source/kinesis/dynamodb-client.ts'
import { FencedCheckpoints } from '../../processors/source/kinesis/fenced-store.ts'
import { LeaseCoordinator } from '../../processors/source/kinesis/lease-coordinator.ts'
import { createLeaseMetrics } from '../../processors/source/kinesis/lease-metrics.ts'
import { LeaseTable, leaseKey } from '../../processors/source/kinesis/lease-table.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { ClickHouseCheckpointStore } from '../../sinks/clickhouse/checkpoint-store.ts'
import { migrate } from '../../sinks/clickhouse/migrate.ts'
import { count, embeddedClickHouse, pollUntil, testLogger, uniqueName } from '../helpers/services.ts'

const LEASE_MS = 1500
const RENEW_MS = 250
const STREAM = 'fenced-stream'
const SHARD = 'shardId-000000000000'
const KEY = leaseKey(STREAM, SHARD)

async function database(): Promise<string> {
  const name = uniqueName('checkpoint_fence')
  await migrate(embeddedClickHouse().clickhouse.client, name)
  return name
}

async function leaseTable(): Promise<LeaseTable> {
  const dynamo = createDynamoClient({ endpoint: inject('dynamodbEndpoint'), region: 'us-east-1' })
  onTestFinished(() => dynamo.destroy())
  const table = new LeaseTable(dynamo, uniqueName('fence-leases'))
  await table.ensure()
  await table.create(STREAM, SHARD, [])
  return table
}

async function worker(table: LeaseTable, workerId: string): Promise<LeaseCoordinator> {
  const leases = new LeaseCoordinator({
    table,
    workerId,
    leaseDurationMs: LEASE_MS,
    renewIntervalMs: RENEW_MS,
    exclusive: false,
    metrics: createLeaseMetrics(createRegistry()),
    logger: testLogger().logger,
  })
  await leases.start({ taken: () => Promise.resolve(), lost: () => undefined, handOver: () => undefined })
  onTestFinished(() => leases.stop())
  return leases
}

function store(db: string, owner: string): ClickHouseCheckpointStore {
  return new ClickHouseCheckpointStore(embeddedClickHouse().clickhouse.client, db, owner)
}

interface Frozen {
  store: CheckpointStore
  /** Resolves once an insert is held: its lease check has passed. */
  reached: Promise<void>
  release(): void
}

/** A store whose inserts wait until `release` is called: the frozen worker's insert in flight. */
function frozenStore(inner: CheckpointStore): Frozen {
  let release = (): void => undefined
  let reach = (): void => undefined
  const gate = new Promise<void>((resolve) => (release = resolve))
  const reached = new Promise<void>((resolve) => (reach = resolve))
  const write = async (rows: readonly Checkpoint[]): Promise<void> => {
    reach()
    await gate
    await inner.write(rows)
  }
  return { store: { load: (source, stream) => inner.load(source, stream), write }, reached, release: () => release() }
}

function commit(position: string): Checkpoint {
  return { source: 'kinesis', stream: STREAM, partition: SHARD, position, pending: undefined, state: '' }
}

async function resumeFrom(db: string): Promise<Checkpoint | undefined> {
  return (await store(db, 'reader').load('kinesis', STREAM)).get(SHARD)
}

describe('a checkpoint written under an older lease counter', () => {
  it('never wins over the new owner’s, however late it lands', async () => {
    const [db, table] = await Promise.all([database(), leaseTable()])
    const w1 = await worker(table, 'w1')
    expect(w1.heldKeys()).toEqual([KEY])
    await new FencedCheckpoints(store(db, 'w1'), w1).write([commit('100')])

    // w1 stops renewing (frozen) right after its last lease check succeeded: its insert is in flight.
    await w1.stop()
    const frozen = frozenStore(store(db, 'w1'))
    const late = new FencedCheckpoints(frozen.store, w1).write([commit('300')])
    await frozen.reached

    const w2 = await worker(table, 'w2')
    await pollUntil(() => Promise.resolve(w2.heldKeys()), (keys) => keys.includes(KEY), { what: 'w2 taking the expired lease', timeoutMs: 15_000 })
    const successor = new FencedCheckpoints(store(db, 'w2'), w2)
    const claimed = await successor.claim('kinesis', STREAM, SHARD)
    expect(claimed?.position).toBe('100')

    // The frozen insert lands after the claim: its newer version and higher position do not make it win.
    frozen.release()
    await late
    expect(await count(embeddedClickHouse().clickhouse, `SELECT count() FROM ${db}.checkpoints WHERE owner = 'w1' AND position = '300'`)).toBe(1)
    expect((await resumeFrom(db))?.position).toBe('100')

    await successor.write([commit('200')])
    const fences = await fencesBy(db)
    expect(Math.min(...(fences.get('w2') ?? []))).toBeGreaterThan(Math.max(...(fences.get('w1') ?? [])))
    expect(await resumeFrom(db)).toMatchObject({ position: '200', fence: Math.max(...(fences.get('w2') ?? [])) })
    // Merged, the table keeps the successor's row: a merge by version alone would keep the late one.
    await embeddedClickHouse().clickhouse.client.command({ query: `OPTIMIZE TABLE ${db}.checkpoints FINAL` })
    expect((await resumeFrom(db))?.position).toBe('200')
  })

  it('as an intent landing after the successor read the checkpoint, is refused before its block is inserted', async () => {
    const [db, table] = await Promise.all([database(), leaseTable()])
    const w1 = await worker(table, 'w1')
    await new FencedCheckpoints(store(db, 'w1'), w1).write([commit('100')])
    await w1.stop()
    const frozen = frozenStore(store(db, 'w1'))
    // The intent of the block after 100: its lease check passed, then the worker froze.
    const intent = new FencedCheckpoints(frozen.store, w1).write([{ ...commit('100'), pending: { from: '101', to: '300' } }])
    await frozen.reached
    const w2 = await worker(table, 'w2')
    await pollUntil(() => Promise.resolve(w2.heldKeys()), (keys) => keys.includes(KEY), { what: 'w2 taking the expired lease', timeoutMs: 15_000 })
    // The successor heard of no intent: it cuts its own block from 100, under its own token.
    const claimed = await new FencedCheckpoints(store(db, 'w2'), w2).claim('kinesis', STREAM, SHARD)
    expect(claimed).toMatchObject({ position: '100', pending: undefined })
    // The intent lands late; its write fails, so the flusher never inserts w1's block (a duplicate of w2's).
    frozen.release()
    await expect(intent).rejects.toThrow(/no longer held by this worker/)
    expect(await count(embeddedClickHouse().clickhouse, `SELECT count() FROM ${db}.checkpoints WHERE owner = 'w1' AND pending_to = '300'`)).toBe(1)
  })

  it('loses to a claim of a shard nothing was committed for, which itself reads as no checkpoint', async () => {
    const [db, table] = await Promise.all([database(), leaseTable()])
    const w1 = await worker(table, 'w1')
    await w1.stop()
    const frozen = frozenStore(store(db, 'w1'))
    const late = new FencedCheckpoints(frozen.store, w1).write([commit('300')])
    await frozen.reached
    const w2 = await worker(table, 'w2')
    await pollUntil(() => Promise.resolve(w2.heldKeys()), (keys) => keys.includes(KEY), { what: 'w2 taking the expired lease', timeoutMs: 15_000 })
    expect(await new FencedCheckpoints(store(db, 'w2'), w2).claim('kinesis', STREAM, SHARD)).toBeUndefined()
    frozen.release()
    await late
    expect(await resumeFrom(db)).toBeUndefined()
  })

  it('from before the lease table was made anew: the lease is lifted above it', async () => {
    const db = await database()
    await store(db, 'old').write([{ ...commit('500'), fence: 40 }])
    const table = await leaseTable()
    const w1 = await worker(table, 'w1')
    const claimed = await new FencedCheckpoints(store(db, 'w1'), w1).claim('kinesis', STREAM, SHARD)
    expect(claimed).toMatchObject({ position: '500', fence: 40 })
    const [lease] = await table.list()
    expect(lease?.counter).toBeGreaterThan(40)
    // A late row of the old table's era (fence 40) cannot win over the new lease's commits.
    await new FencedCheckpoints(store(db, 'w1'), w1).write([commit('600')])
    await store(db, 'old').write([{ ...commit('550'), fence: 40 }])
    expect(await resumeFrom(db)).toMatchObject({ position: '600', fence: 41 })
  })
})

/** The fences each writer's rows carry. */
async function fencesBy(db: string): Promise<Map<string, number[]>> {
  const result = await embeddedClickHouse().clickhouse.client.query({ query: `SELECT owner, toUInt32(fence) AS fence FROM ${db}.checkpoints`, format: 'JSONEachRow' })
  const fences = new Map<string, number[]>()
  for (const row of await result.json<{ owner: string; fence: number }>()) fences.set(row.owner, [...(fences.get(row.owner) ?? []), row.fence])
  return fences
}
