// The Kinesis side of a chaos run: the emulator (kinesis-mock, a child process) for the streams and
// dynalite (in this process) for the processors' lease table, started on first use and shared by the
// Kinesis scenarios, each of which makes streams of its own. Resharding is done as an operator would,
// through the Kinesis API: SplitShard at the middle of a shard's hash range, MergeShards of two adjacent ones.
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'
import { startDynalite, type DynaliteServer } from '../infra/dynamodb/dynalite.ts'
import { startKinesisEmulator, type KinesisEmulator } from '../infra/kinesis/emulator.ts'
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

export async function startChaosKinesis(): Promise<ChaosKinesis> {
  const emulator: KinesisEmulator = await startKinesisEmulator({ port: 0, startTimeoutMs: 60_000 })
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
