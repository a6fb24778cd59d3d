// A one-shard stream whose checkpoint names a record it does not hold: three old records, a position
// just past the last of them (the shape of a real sequence number, held by no record), then two new
// ones. What the embedded emulator restored from an older copy after a hard kill looks like.
import { CreateStreamCommand, PutRecordCommand, waitUntilStreamExists, type KinesisClient } from '@aws-sdk/client-kinesis'
import { uniqueName } from './services.ts'

export interface RewoundShard {
  stream: string
  shardId: string
  /** The checkpoint the shard no longer holds. */
  missing: string
  /** What a reader after `missing` must hand over, in order. */
  newer: readonly string[]
  /** Puts one more record; answers its sequence number. */
  put: (text: string) => Promise<string>
}

export async function rewoundShard(client: KinesisClient, prefix: string): Promise<RewoundShard> {
  const stream = uniqueName(prefix).replaceAll('_', '-')
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }))
  await waitUntilStreamExists({ client, maxWaitTime: 60 }, { StreamName: stream })
  const put = async (text: string): Promise<string> => (await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from(text) }))).SequenceNumber ?? ''
  for (const text of ['old-1', 'old-2']) await put(text)
  const checkpoint = await put('old-3')
  const missing = (BigInt(checkpoint) + 1n).toString()
  const newer = ['new-1', 'new-2']
  for (const text of newer) await put(text)
  return { stream, shardId: 'shardId-000000000000', missing, newer, put }
}
