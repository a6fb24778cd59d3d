// A checkpoint the stream no longer holds (the embedded emulator restored from an older copy after a
// hard kill rewinds its history): the reader does not retry AFTER_SEQUENCE_NUMBER for ever but reads
// past it from the oldest record, hands over only what is newer than the checkpoint, and says so.
import { CreateStreamCommand, PutRecordCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis'
import { describe, expect, it } from 'vitest'
import type { SourceBatch } from '../../pipeline/source.ts'
import { readShard } from '../../processors/source/kinesis/shard-reader.ts'
import { createSourceMetrics } from '../../processors/source/metrics.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { kinesisClient, pollUntil, testLogger, uniqueName } from '../helpers/services.ts'

describe('a Kinesis shard whose history no longer holds the checkpointed record', () => {
  it('is read past the checkpoint, from the oldest record, with a warning', async () => {
    const client = kinesisClient()
    const stream = uniqueName('rewound').replaceAll('_', '-')
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }))
    await waitUntilStreamExists({ client, maxWaitTime: 60 }, { StreamName: stream })
    const put = async (text: string): Promise<string> => (await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'k', Data: Buffer.from(text) }))).SequenceNumber ?? ''
    for (const text of ['old-1', 'old-2']) await put(text)
    const checkpoint = await put('old-3')
    // A position just past the last record: the shape of a real sequence number, held by no record.
    const missing = (BigInt(checkpoint) + 1n).toString()
    for (const text of ['new-1', 'new-2']) await put(text)

    const { logger, lines } = testLogger()
    const handed: string[] = []
    const abort = new AbortController()
    const reading = readShard({
      client, stream, shardId: 'shardId-000000000000', after: missing, pollIntervalMs: 50, maxRecordsPerCall: 100,
      handler: (batch: SourceBatch) => {
        handed.push(...batch.records.map((record) => record.data.toString()))
        return Promise.resolve()
      },
      metrics: createSourceMetrics(createRegistry()), logger, signal: abort.signal, onHealth: () => undefined,
    })
    await pollUntil(() => Promise.resolve(handed.length), (n) => n >= 2, { what: 'the records after the checkpoint', timeoutMs: 30_000 })
    abort.abort()
    await reading
    expect(handed).toEqual(['new-1', 'new-2'])
    expect(lines.join('')).toContain('the stream no longer holds the checkpointed record')
  })
})
