// The Kinesis side of a chaos run: an emulator in a child process for the streams and dynalite (in
// this process) for the processors' lease table, started on first use and shared by the Kinesis
// scenarios, each of which makes streams of its own. The emulator is kinesalite by default, not the
// kinesis-mock the tests and the embedded default use: kinesis-mock takes in about 1.1 MB/s (3.4 s
// for 20,000 client events, 3.6 MB), so a default workload would take minutes to load and as long
// to read; kinesalite is several times faster (README, "Chaos"). `--kinesis-emulator kinesis-mock`
// runs the scenarios on kinesis-mock instead. Resharding is done as an operator would,
// through the Kinesis API: SplitShard at the middle of a shard's hash range, MergeShards of two adjacent ones.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'
import { startDynalite, type DynaliteServer } from '../infra/dynamodb/dynalite.ts'
import { stopChild } from '../infra/child-process.ts'
import { startKinesisEmulator } from '../infra/kinesis/emulator.ts'
import { freePort } from '../infra/ports.ts'
import { createProducerMetrics } from '../producers/metrics.ts'
import { KinesisTransport } from '../producers/kinesis/kinesis-transport.ts'
import { createKinesisClient } from '../processors/source/kinesis/client.ts'
import { createLogger } from '../runtime/logger.ts'
import { createRegistry } from '../runtime/metrics.ts'
import { waitFor } from './deadline.ts'

export interface ChaosKinesis {
  readonly endpoint: string
  readonly dynamodbEndpoint: string
  readonly client: KinesisClient
  /** A producer with a fresh shard map: after a reshard, records go to the shard that now owns their key. */
  transport(shards: number): KinesisTransport
  splitShard(stream: string, shardId: string): Promise<void>
  mergeShards(stream: string, shardId: string, adjacentId: string): Promise<void>
  openShards(stream: string): Promise<Shard[]>
  stop(): Promise<void>
}

export const KINESIS_EMULATORS = ['kinesalite', 'kinesis-mock'] as const
export type KinesisEmulatorName = (typeof KINESIS_EMULATORS)[number]

interface RunningEmulator {
  endpoint: string
  stop(): Promise<void>
}

const KINESALITE_CHILD = fileURLToPath(new URL('./kinesalite-child.mjs', import.meta.url))

async function startKinesalite(): Promise<RunningEmulator> {
  const port = await freePort()
  const child = spawn(process.execPath, [KINESALITE_CHILD, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error('kinesalite did not start within 30 s')), 30_000)
    child.once('exit', (code) => fail(new Error(`kinesalite exited at start (code ${String(code)})`)))
    child.stdout.on('data', (chunk: Buffer) => {
      if (!chunk.toString('utf8').includes('READY')) return
      clearTimeout(timer)
      ready()
    })
  })
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) }
}

async function startEmulator(name: KinesisEmulatorName): Promise<RunningEmulator> {
  if (name === 'kinesalite') return startKinesalite()
  return startKinesisEmulator({ port: 0, startTimeoutMs: 60_000 })
}

export async function startChaosKinesis(name: KinesisEmulatorName): Promise<ChaosKinesis> {
  const emulator = await startEmulator(name)
  const dynalite: DynaliteServer = await startDynalite({ port: 0 }).catch(async (error: unknown) => {
    await emulator.stop()
    throw error
  })
  const client = createKinesisClient({ endpoint: emulator.endpoint, region: 'us-east-1' })
  const logger = createLogger({ level: 'warn', pretty: false })
  const transports: KinesisTransport[] = []
  const active = (stream: string): Promise<string> =>
    waitFor(`${stream} ACTIVE after a reshard`, 60_000, async () => (await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.StreamStatus ?? '', (status) => status === 'ACTIVE', 100)
  const allShards = async (stream: string): Promise<Shard[]> => (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []
  return {
    endpoint: emulator.endpoint,
    dynamodbEndpoint: dynalite.endpoint,
    client,
    transport: (shards) => {
      // Its own client: closing a transport destroys its client, and the harness's stays open.
      const transport = new KinesisTransport({ client: createKinesisClient({ endpoint: emulator.endpoint, region: 'us-east-1' }), shards, metrics: createProducerMetrics(createRegistry()), logger })
      transports.push(transport)
      return transport
    },
    splitShard: async (stream, shardId) => {
      const range = (await allShards(stream)).find((shard) => shard.ShardId === shardId)?.HashKeyRange
      if (range?.StartingHashKey === undefined || range.EndingHashKey === undefined) throw new Error(`${stream} has no shard ${shardId} to split`)
      const middle = (BigInt(range.StartingHashKey) + BigInt(range.EndingHashKey)) / 2n
      await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }))
      await active(stream)
    },
    mergeShards: async (stream, shardId, adjacentId) => {
      await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: shardId, AdjacentShardToMerge: adjacentId }))
      await active(stream)
    },
    openShards: async (stream) => (await allShards(stream)).filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined),
    stop: async () => {
      await Promise.all(transports.map((transport) => transport.close().catch(() => undefined)))
      client.destroy()
      await dynalite.stop().catch(() => undefined)
      await emulator.stop().catch(() => undefined)
    },
  }
}
