// Which open shard a partition key lands in: Kinesis hashes the key with MD5 into a 128-bit number
// and picks the shard whose hash-key range holds it. Knowing this lets the producer pack only records
// bound for the same shard into one aggregated record, as the KPL does, so per-key order holds.
import { createHash } from 'node:crypto'
import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'

export interface ShardRange {
  shardId: string
  start: bigint
  end: bigint
}

export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`)
}

export function shardFor(ranges: readonly ShardRange[], hashKey: bigint): ShardRange | undefined {
  return ranges.find((range) => hashKey >= range.start && hashKey <= range.end)
}

export async function listOpenShards(client: KinesisClient, stream: string): Promise<ShardRange[]> {
  const shards: Shard[] = []
  let nextToken: string | undefined
  do {
    const response = await client.send(new ListShardsCommand(nextToken === undefined ? { StreamName: stream } : { NextToken: nextToken }))
    shards.push(...(response.Shards ?? []))
    nextToken = response.NextToken
  } while (nextToken !== undefined)
  return shards
    .filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .map((shard) => ({
      shardId: shard.ShardId ?? '',
      start: BigInt(shard.HashKeyRange?.StartingHashKey ?? '0'),
      end: BigInt(shard.HashKeyRange?.EndingHashKey ?? '0'),
    }))
}
