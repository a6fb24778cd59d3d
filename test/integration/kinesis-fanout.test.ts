// Enhanced fan-out on the real emulator (kinesis-mock, over HTTP/1.1: its HTTP/2 event stream breaks,
// see README): `pulse process --kinesis-consumer` registers the consumer, reads every shard with
// SubscribeToShard while a producer runs, renews its subscriptions every few seconds from their
// continuation, reads a split parent to its end (by polling: the emulator never ends a closed shard's
// subscription) before its children, resumes from its checkpoints after a SIGKILL, and hands shards
// over between two workers sharing one consumer.
import { describe, expect, it } from 'vitest'
import { DescribeStreamConsumerCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis'
import { freePort } from '../../infra/ports.ts'
import { count, embeddedClickHouse, pollUntil, testLogger } from '../helpers/services.ts'
import { KinesisTransport } from '../../producers/kinesis/kinesis-transport.ts'
import { createProducerMetrics } from '../../producers/metrics.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { leaseTestBed, positionRegressions, rowCounts, splitShard, spread, trickle, workerArgs, type LeaseTestBed, type Produced } from '../helpers/kinesis-workers.ts'
import { spawnPulse, type RunningPulse } from '../helpers/cli.ts'
import { onTestFailed, onTestFinished } from 'vitest'

const CONSUMER = 'pulse-fanout-test'
/** Short, so every run renews subscriptions many times (AWS ends them at 5 minutes; Pulse renews at 4.5). */
const RENEW_MS = 3000

interface FanOutWorker {
  running: RunningPulse
  metricsPort: number
}

async function startFanOutWorker(bed: LeaseTestBed, workerId: string): Promise<FanOutWorker> {
  const metricsPort = await freePort()
  const args = [...workerArgs(bed, workerId), '--metrics-port', String(metricsPort), '--kinesis-consumer', CONSUMER, '--kinesis-fanout-http1', '--kinesis-subscription-renew-ms', String(RENEW_MS)]
  const running = spawnPulse(args)
  onTestFailed(() => console.error(`--- output of worker ${workerId}:\n${running.output().slice(-20_000)}`))
  onTestFinished(() => void running.child.kill('SIGKILL'))
  return { running, metricsPort }
}

/** pulse_kinesis_subscriptions_total by event, scraped from the worker. */
async function subscriptions(worker: FanOutWorker): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^pulse_kinesis_subscriptions_total\{event="(\w+)"\} (\d+)/gm)) counts[match[1] ?? ''] = Number(match[2])
  return counts
}

/** Records the worker read from the stream (one event each here: the producer does not aggregate). */
async function recordsRead(worker: FanOutWorker, stream: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text()
  const line = text.split('\n').find((candidate) => candidate.startsWith(`pulse_source_records_total{stream="${stream}"}`))
  return Number(line?.split(' ')[1] ?? 0)
}

async function consumerStatus(bed: LeaseTestBed): Promise<string | undefined> {
  const { client } = bed.pipeline.kinesis
  const streamArn = (await client.send(new DescribeStreamSummaryCommand({ StreamName: bed.stream }))).StreamDescriptionSummary?.StreamARN
  const described = await client.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: CONSUMER }))
  return described.ConsumerDescription?.ConsumerStatus
}

async function ingestTimes(bed: LeaseTestBed): Promise<{ partition: string; first: string; last: string; rows: number }[]> {
  const { clickhouse } = embeddedClickHouse()
  const result = await clickhouse.client.query({
    query: `SELECT source_partition AS partition, toString(min(ingest_time)) AS first, toString(max(ingest_time)) AS last, toUInt32(count()) AS rows FROM ${bed.pipeline.database}.client_events GROUP BY partition ORDER BY partition`,
    format: 'JSONEachRow',
  })
  return result.json()
}

/** Shards of the stream with a committed position in ClickHouse. */
async function committedShards(bed: LeaseTestBed): Promise<number> {
  const { clickhouse } = embeddedClickHouse()
  return count(clickhouse, `SELECT uniqExact(partition) FROM ${bed.pipeline.database}.checkpoints WHERE stream = '${bed.stream}' AND position != ''`)
}

describe('kinesis enhanced fan-out (--kinesis-consumer)', () => {
  it('registers the consumer and writes every event of a multi-shard stream once, renewing subscriptions meanwhile', async () => {
    const plain = await leaseTestBed(4)
    // KPL aggregated records, as Pulse's producer puts them by default: the fan-out path unpacks them too.
    const bed: LeaseTestBed = { ...plain, transport: new KinesisTransport({ client: plain.pipeline.kinesis.client, shards: 4, metrics: createProducerMetrics(createRegistry()), logger: testLogger().logger }) }
    onTestFinished(() => bed.transport.close())
    const produced: Produced = { bySession: new Map(), total: 0 }
    const worker = await startFanOutWorker(bed, 'f1')
    await pollUntil(() => subscriptions(worker).catch((): Record<string, number> => ({})), (counts) => (counts.subscribed ?? 0) >= 4, { what: 'a subscription per shard', timeoutMs: 60_000 })
    await trickle(bed, 3000, { slice: 100, intervalMs: 250, seed: 31, produced })
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === produced.total, { what: 'every produced event', timeoutMs: 60_000 })
    expect(await consumerStatus(bed)).toBe('ACTIVE')
    // Fewer records than events: they arrived packed and were unpacked.
    expect(await recordsRead(worker, bed.stream)).toBeLessThan(produced.total / 4)
    const counts = await subscriptions(worker)
    // Renewed from their continuations during the ~8 s of traffic, with nothing lost or read twice.
    expect(counts.renewed ?? 0).toBeGreaterThanOrEqual(4)
    // Nothing here is closed: no shard was read by polling.
    expect(counts.closed_read_by_polling ?? 0).toBe(0)
    worker.running.child.kill('SIGTERM')
    expect(await worker.running.exited).toBe(0)
    expect(await rowCounts(bed)).toEqual({ rows: produced.total, unique: produced.total })
    expect((await ingestTimes(bed)).map((row) => row.partition)).toHaveLength(4)
  })

  it('reads a split parent to its end before its children, every record once', async () => {
    const bed = await leaseTestBed(2)
    const produced: Produced = { bySession: new Map(), total: 0 }
    const worker = await startFanOutWorker(bed, 'f1')
    await pollUntil(() => subscriptions(worker).catch((): Record<string, number> => ({})), (counts) => (counts.subscribed ?? 0) >= 2, { what: 'a subscription per shard', timeoutMs: 60_000 })
    const producing = trickle(bed, 3000, { slice: 100, intervalMs: 200, seed: 37, produced })
    await pollUntil(() => Promise.resolve(produced.total), (total) => total >= 1000, { what: 'traffic before the split' })
    await splitShard(bed, 'shardId-000000000000')
    expect(produced.total).toBeLessThan(3000)
    await producing
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === produced.total, { what: 'every produced event', timeoutMs: 60_000 })

    const leases = (await bed.table.list()).filter((lease) => lease.stream === bed.stream)
    expect(leases.filter((lease) => lease.finished).map((lease) => lease.shard)).toEqual(['shardId-000000000000'])
    const byPartition = await ingestTimes(bed)
    const parent = byPartition.find((row) => row.partition === 'shardId-000000000000')
    const children = byPartition.filter((row) => row.partition > 'shardId-000000000001')
    expect(children).toHaveLength(2)
    for (const child of children) {
      expect(child.rows).toBeGreaterThan(0)
      // Leased only once the parent was finished: its first record came after the parent's last.
      expect(child.first > (parent?.last ?? '')).toBe(true)
    }
    const counts = await subscriptions(worker)
    // The emulator never ends a closed parent's subscription: its end was confirmed by polling.
    expect(counts.closed_read_by_polling).toBe(1)
    worker.running.child.kill('SIGTERM')
    expect(await worker.running.exited).toBe(0)
    expect(await rowCounts(bed)).toEqual({ rows: produced.total, unique: produced.total })
  })

  it('resumes after a SIGKILL from its checkpoints, nothing lost or duplicated', async () => {
    const bed = await leaseTestBed(2)
    const produced: Produced = { bySession: new Map(), total: 0 }
    const first = await startFanOutWorker(bed, 'f1')
    const producing = trickle(bed, 3000, { slice: 100, intervalMs: 200, seed: 41, produced })
    // The worker makes the database: until then there is nothing to count.
    await pollUntil(() => rowCounts(bed).catch(() => ({ rows: 0, unique: 0 })), (counts) => counts.unique >= 1000, { what: 'a third of the events written', timeoutMs: 60_000 })
    await pollUntil(() => committedShards(bed), (shards) => shards === 2, { what: 'a committed position on both shards' })
    first.running.child.kill('SIGKILL')
    await first.running.exited
    const second = await startFanOutWorker(bed, 'f1')
    await producing
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === produced.total, { what: 'every produced event', timeoutMs: 60_000 })
    // Resumed after its checkpoints (AFTER_SEQUENCE_NUMBER), not from the oldest record: a restart
    // from TRIM_HORIZON would read every record again (and ClickHouse's dedup would hide it).
    const reread = await recordsRead(second, bed.stream)
    console.info(`after a SIGKILL with ${produced.total} events produced, the restarted worker read ${reread} records`)
    expect(reread).toBeLessThan(produced.total)
    expect(second.running.output()).not.toMatch(/no longer holds the checkpointed record/)
    second.running.child.kill('SIGTERM')
    expect(await second.running.exited).toBe(0)
    expect(await rowCounts(bed)).toEqual({ rows: produced.total, unique: produced.total })
  })

  it('hands shards over between two workers sharing the consumer, every event once', async () => {
    const bed = await leaseTestBed(4)
    const produced: Produced = { bySession: new Map(), total: 0 }
    const first = await startFanOutWorker(bed, 'f1')
    await pollUntil(() => spread(bed), (counts) => counts[0] === 4, { what: 'f1 holding all 4 leases', timeoutMs: 30_000 })
    const producing = trickle(bed, 3000, { slice: 100, intervalMs: 200, seed: 43, produced })
    const second = await startFanOutWorker(bed, 'f2')
    // f2 asks for two shards while records flow: f1 closes their subscriptions, flushes, commits and
    // hands the leases over; f2 subscribes with the same consumer (the emulator may still hold f1's).
    await pollUntil(() => spread(bed), (counts) => counts.join('/') === '2/2', { what: 'leases spread 2/2', timeoutMs: 60_000 })
    await producing
    await pollUntil(() => rowCounts(bed), (counts) => counts.unique === produced.total, { what: 'every produced event', timeoutMs: 60_000 })
    expect((await subscriptions(second)).subscribed ?? 0).toBeGreaterThanOrEqual(2)
    const retries = (await (await fetch(`http://127.0.0.1:${second.metricsPort}/metrics`)).text()).split('\n').filter((line) => line.startsWith('pulse_source_retries_total{'))
    console.info(`two fan-out workers: f2's subscriptions ${JSON.stringify(await subscriptions(second))}, retries ${retries.join(', ')}`)
    for (const worker of [first, second]) worker.running.child.kill('SIGTERM')
    expect(await Promise.all([first.running.exited, second.running.exited])).toEqual([0, 0])
    expect(await rowCounts(bed)).toEqual({ rows: produced.total, unique: produced.total })
    expect(await positionRegressions(bed)).toBe(0)
  })
})
