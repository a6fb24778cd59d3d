// Several `pulse process --source kinesis` children sharing one lease table (on the shared dynalite)
// and one stream, writing to this process's ClickHouse engine over HTTP: the lease tests' setup,
// producer and observations (who owns which shard, what each worker committed).
import { onTestFailed, onTestFinished } from 'vitest'
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand, type Shard } from '@aws-sdk/client-kinesis'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { createProducerMetrics } from '../../producers/metrics.ts'
import { KinesisTransport } from '../../producers/kinesis/kinesis-transport.ts'
import { encode } from '../../schemas/codec.ts'
import { leaseTableName } from '../../cli/roles.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { createDynamoClient } from '../../processors/source/kinesis/dynamodb-client.ts'
import { LeaseTable, type Lease } from '../../processors/source/kinesis/lease-table.ts'
import { spawnPulse, type RunningPulse } from './cli.ts'
import { serveClickHouse } from './kafka.ts'
import { kinesisPipeline, type TestPipeline } from './pipeline.ts'
import { count, embeddedClickHouse, pollUntil, testLogger } from './services.ts'

export const LEASE_MS = 3000
export const RENEW_MS = 500

export interface LeaseTestBed {
  pipeline: TestPipeline
  stream: string
  table: LeaseTable
  clickhouseUrl: string
  /** Puts events with one plain record each, so every record follows its key's shard after a reshard. */
  transport: KinesisTransport
}

/** An 8-shard client-events stream (the other streams one shard each), its lease table and ClickHouse over HTTP. */
export async function leaseTestBed(clientShards = 8): Promise<LeaseTestBed> {
  const pipeline = await kinesisPipeline({ kinesis: { shards: 1 } }, { client_event: clientShards })
  const dynamo = createDynamoClient({ endpoint: pipeline.config.kinesis.dynamodbEndpoint, region: 'us-east-1' })
  onTestFinished(() => dynamo.destroy())
  // Three workers' sinks at once: more than the interface's default of 4 queries (refusals are retried, but not at start-up).
  const clickhouse = await serveClickHouse(32)
  const transport = new KinesisTransport({
    client: pipeline.kinesis.client,
    shards: clientShards,
    aggregate: false,
    metrics: createProducerMetrics(createRegistry()),
    logger: testLogger().logger,
  })
  // Created here too (the workers would), so the test can watch it from the start.
  const table = new LeaseTable(dynamo, leaseTableName(pipeline.config))
  await table.ensure()
  return { pipeline, stream: pipeline.kinesis.streams.client_event, table, clickhouseUrl: clickhouse.url, transport }
}

export function workerArgs(bed: LeaseTestBed, workerId: string): string[] {
  const { kinesis } = bed.pipeline.config
  return [
    'process',
    '--source', 'kinesis',
    '--kinesis-endpoint', kinesis.endpoint ?? '',
    '--dynamodb-endpoint', kinesis.dynamodbEndpoint ?? '',
    '--stream-prefix', kinesis.streamPrefix,
    '--kinesis-worker-id', workerId,
    '--kinesis-lease-duration-ms', String(LEASE_MS),
    '--kinesis-lease-renew-interval-ms', String(RENEW_MS),
    '--kinesis-discovery-interval-ms', '1000',
    '--clickhouse', bed.clickhouseUrl,
    '--database', bed.pipeline.database,
    '--batch-rows', '500',
    '--flush-interval-ms', '300',
    '--enrich-hold-back-ms', '0',
    '--metrics-port', '0',
  ]
}

/** A worker child, killed when the test ends (woken first, should the test have stopped it). */
export function startWorker(bed: LeaseTestBed, workerId: string): RunningPulse {
  const running = spawnPulse(workerArgs(bed, workerId))
  onTestFailed(() => {
    console.error(`--- output of worker ${workerId}:\n${running.output().slice(-20_000)}`)
  })
  onTestFinished(() => {
    running.child.kill('SIGCONT')
    running.child.kill('SIGKILL')
  })
  return running
}

/** The checkpoint store's owner column for a child: host and pid. */
export function checkpointOwner(running: RunningPulse): string {
  return `${hostname()}:${String(running.child.pid)}`
}

/** Open (unfinished) leases of the stream, by shard. */
export async function openLeases(bed: LeaseTestBed): Promise<Lease[]> {
  return (await bed.table.list()).filter((lease) => lease.stream === bed.stream && !lease.finished)
}

/** How many open leases each worker holds, largest first; '' counts the unowned. */
export async function spread(bed: LeaseTestBed): Promise<number[]> {
  const byOwner = new Map<string, number>()
  for (const lease of await openLeases(bed)) byOwner.set(lease.owner, (byOwner.get(lease.owner) ?? 0) + 1)
  if (byOwner.has('')) return [-1]
  return [...byOwner.values()].sort((a, b) => b - a)
}

export interface Produced {
  /** Event ids in the order they were put, per app session. */
  bySession: Map<string, string[]>
  total: number
}

/** Puts `total` generated client events in slices every `intervalMs`, until done or `signal` aborts. */
export async function trickle(bed: LeaseTestBed, total: number, options: { slice: number; intervalMs: number; seed: number; produced: Produced }): Promise<void> {
  const events = generateClientTraffic({ seed: options.seed, startTime: Date.now() - 60_000, duplicateFraction: 0 }, total)
  for (let start = 0; start < total; start += options.slice) {
    const slice = events.slice(start, start + options.slice)
    await bed.transport.send(bed.stream, slice.map((item) => ({ key: item.key, value: encode('client_event', item.record) })))
    for (const item of slice) {
      const ids = options.produced.bySession.get(item.record.app_session_id) ?? []
      ids.push(item.record.event_id)
      options.produced.bySession.set(item.record.app_session_id, ids)
    }
    options.produced.total += slice.length
    await sleep(options.intervalMs)
  }
}

/** count() and uniqExact(event_id) of the test's client_events. */
export async function rowCounts(bed: LeaseTestBed): Promise<{ rows: number; unique: number }> {
  const { clickhouse } = embeddedClickHouse()
  const table = `${bed.pipeline.database}.client_events`
  return { rows: await count(clickhouse, `SELECT count() FROM ${table}`), unique: await count(clickhouse, `SELECT uniqExact(event_id) FROM ${table}`) }
}

/** Who wrote each shard's winning checkpoint (highest fence, then newest: what a new owner resumes from). */
export async function winningOwners(bed: LeaseTestBed): Promise<Map<string, string>> {
  const { clickhouse } = embeddedClickHouse()
  const result = await clickhouse.client.query({
    query: `SELECT partition, argMax(owner, (fence, version)) AS owner FROM ${bed.pipeline.database}.checkpoints FINAL WHERE stream = {stream:String} GROUP BY partition`,
    query_params: { stream: bed.stream },
    format: 'JSONEachRow',
  })
  return new Map((await result.json<{ partition: string; owner: string }>()).map((row) => [row.partition, row.owner]))
}

/** Committed positions that went backwards on some shard: a second reader, or a stale one, committing. */
export async function positionRegressions(bed: LeaseTestBed): Promise<number> {
  const { clickhouse } = embeddedClickHouse()
  return count(
    clickhouse,
    `SELECT count() FROM (
       SELECT partition, toUInt256OrZero(position) AS at, lagInFrame(toUInt256OrZero(position)) OVER (PARTITION BY partition ORDER BY fence, version ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS before
       FROM ${bed.pipeline.database}.checkpoints WHERE stream = '${bed.stream}' AND position != ''
     ) WHERE before != 0 AND at < before`,
  )
}

/** Splits a shard at the middle of its hash range, then waits for the stream to be ACTIVE again. */
export async function splitShard(bed: LeaseTestBed, shardId: string): Promise<void> {
  const shard = (await listAllShards(bed)).find((candidate) => candidate.ShardId === shardId)
  const range = shard?.HashKeyRange
  if (range?.StartingHashKey === undefined || range.EndingHashKey === undefined) throw new Error(`no hash range for ${shardId}`)
  const middle = (BigInt(range.StartingHashKey) + BigInt(range.EndingHashKey)) / 2n
  await bed.pipeline.kinesis.client.send(new SplitShardCommand({ StreamName: bed.stream, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }))
  await waitActive(bed)
}

export async function mergeShards(bed: LeaseTestBed, shardId: string, adjacentId: string): Promise<void> {
  await bed.pipeline.kinesis.client.send(new MergeShardsCommand({ StreamName: bed.stream, ShardToMerge: shardId, AdjacentShardToMerge: adjacentId }))
  await waitActive(bed)
}

async function listAllShards(bed: LeaseTestBed): Promise<Shard[]> {
  const response = await bed.pipeline.kinesis.client.send(new ListShardsCommand({ StreamName: bed.stream }))
  return response.Shards ?? []
}

async function waitActive(bed: LeaseTestBed): Promise<void> {
  const read = async (): Promise<string> =>
    (await bed.pipeline.kinesis.client.send(new DescribeStreamSummaryCommand({ StreamName: bed.stream }))).StreamDescriptionSummary?.StreamStatus ?? ''
  await pollUntil(read, (status) => status === 'ACTIVE', { what: `${bed.stream} ACTIVE after a reshard`, timeoutMs: 30_000 })
}
