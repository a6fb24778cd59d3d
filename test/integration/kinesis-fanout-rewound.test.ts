// A fan-out subscription from a checkpoint the shard no longer holds (the embedded emulator restored
// from an older copy rewinds its history). kinesis-mock does not refuse it as AWS would: it streams
// the shard from its oldest record, so the reader must drop what the checkpoint already covers.
import { describe, expect, inject, it, onTestFinished } from 'vitest'
import type { SourceBatch } from '../../pipeline/source.ts'
import { createFanOutClient } from '../../processors/source/kinesis/client.ts'
import { ensureConsumer } from '../../processors/source/kinesis/consumer-registration.ts'
import { fanOutRead } from '../../processors/source/kinesis/fanout-shard.ts'
import { createSubscriptionMetrics } from '../../processors/source/kinesis/subscription-metrics.ts'
import { createSourceMetrics } from '../../processors/source/metrics.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { kinesisClient, pollUntil, testLogger } from '../helpers/services.ts'
import { rewoundShard } from '../helpers/rewound-shard.ts'

describe('a fan-out subscription after a checkpoint the shard no longer holds', () => {
  it('hands over only the records newer than the checkpoint', async () => {
    const client = kinesisClient()
    const { stream, shardId, missing, newer, put } = await rewoundShard(client, 'fanout-rewound')

    const abort = new AbortController()
    const consumerArn = await ensureConsumer({ client, stream, consumerName: 'rewound', signal: abort.signal })
    const subscriber = createFanOutClient({ endpoint: inject('kinesisEndpoint'), region: 'us-east-1', http1: true })
    onTestFinished(() => subscriber.destroy())
    const registry = createRegistry()
    const read = fanOutRead({ client: subscriber, consumerArns: new Map([[stream, consumerArn]]), renewAfterMs: 60_000, isClosed: () => false, subscriptions: createSubscriptionMetrics(registry) })
    const handed: string[] = []
    const reading = read({
      client, stream, shardId, after: missing, pollIntervalMs: 50, maxRecordsPerCall: 100,
      handler: (batch: SourceBatch) => {
        handed.push(...batch.records.map((record) => record.data.toString()))
        return Promise.resolve('taken' as const)
      },
      metrics: createSourceMetrics(registry), logger: testLogger().logger, signal: abort.signal, onHealth: () => undefined,
    })
    await pollUntil(() => Promise.resolve(handed.length), (n) => n >= 2, { what: 'the records after the checkpoint', timeoutMs: 30_000 })
    await put('new-3')
    await pollUntil(() => Promise.resolve(handed.length), (n) => n >= 3, { what: 'a record put while subscribed', timeoutMs: 30_000 })
    abort.abort()
    expect(await reading).toBe('stopped')
    expect(handed).toEqual([...newer, 'new-3'])
  })
})
