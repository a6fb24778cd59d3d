// Whether a stream's committed positions reach past every record it took before a moment, shard by
// shard: the first record after a shard's committed position (from its start when nothing is
// committed) must not exist, or have arrived at or after that moment. Kinesis has no "last sequence
// number" call, so this reads one record per shard (GetRecords, Limit 1): the enrichment frontier
// asks at most once a second, well inside a shard's 5 reads per second.
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { listShards } from './shard-sync.ts'

export async function streamCovered(client: KinesisClient, stream: string, committed: ReadonlyMap<string, string>, appendedBeforeMs: number): Promise<boolean> {
  for (const shard of await listShards(client, stream)) {
    if (shard.ShardId === undefined) continue
    if (!(await shardCovered(client, stream, shard.ShardId, committed.get(shard.ShardId), appendedBeforeMs))) return false
  }
  return true
}

async function shardCovered(client: KinesisClient, stream: string, shardId: string, position: string | undefined, appendedBeforeMs: number): Promise<boolean> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand(
      position === undefined
        ? { StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }
        : { StreamName: stream, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: position },
    ),
  )
  if (ShardIterator === undefined) return false
  const response = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }))
  const next = response.Records?.[0]
  // A closed shard read to its end has no next iterator; an empty answer behind the tip proves nothing.
  if (next === undefined) return response.NextShardIterator === undefined || (response.MillisBehindLatest ?? 0) === 0
  const arrived = next.ApproximateArrivalTimestamp?.getTime()
  return arrived !== undefined && arrived >= appendedBeforeMs
}
