// A checkpoint the stream no longer holds (the embedded emulator restored from an older copy after a
// hard kill rewinds its history): the reader does not retry AFTER_SEQUENCE_NUMBER for ever but reads
// past it from the oldest record, hands over only what is newer than the checkpoint, and says so.
import { describe, expect, it } from 'vitest'
import type { SourceBatch } from '../../pipeline/source.ts'
import { readShard } from '../../processors/source/kinesis/shard-reader.ts'
import { createSourceMetrics } from '../../processors/source/metrics.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { kinesisClient, pollUntil, testLogger } from '../helpers/services.ts'
import { rewoundShard } from '../helpers/rewound-shard.ts'

describe('a Kinesis shard whose history no longer holds the checkpointed record', () => {
  it('is read past the checkpoint, from the oldest record, with a warning', async () => {
    const client = kinesisClient()
    const { stream, shardId, missing, newer } = await rewoundShard(client, 'rewound')

    const { logger, lines } = testLogger()
    const handed: string[] = []
    const abort = new AbortController()
    const reading = readShard({
      client, stream, shardId, after: missing, pollIntervalMs: 50, maxRecordsPerCall: 100,
      handler: (batch: SourceBatch) => {
        handed.push(...batch.records.map((record) => record.data.toString()))
        return Promise.resolve('taken' as const)
      },
      metrics: createSourceMetrics(createRegistry()), logger, signal: abort.signal, onHealth: () => undefined,
    })
    await pollUntil(() => Promise.resolve(handed.length), (n) => n >= 2, { what: 'the records after the checkpoint', timeoutMs: 30_000 })
    abort.abort()
    await reading
    expect(handed).toEqual(newer)
    expect(lines.join('')).toContain('the stream no longer holds the checkpointed record')
  })
})
