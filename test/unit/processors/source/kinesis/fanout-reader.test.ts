// The fan-out reader's state machine without Kinesis: where each subscription starts (checkpoint,
// continuation, oldest record), renewal before AWS's 5 minutes, the shard's end (ChildShards, or a
// closed shard read to its end by polling), backpressure (no event taken while the pipeline is busy),
// lease loss, and backing off on contention.
import { describe, expect, it, vi } from 'vitest'
import pino from 'pino'
import type { StartingPosition } from '@aws-sdk/client-kinesis'
import { readShardFanOut, type FanOutReaderOptions, type ShardEvent } from '../../../../../processors/source/kinesis/fanout-reader.ts'
import { createSourceMetrics } from '../../../../../processors/source/metrics.ts'
import { createSubscriptionMetrics } from '../../../../../processors/source/kinesis/subscription-metrics.ts'
import { createRegistry } from '../../../../../runtime/metrics.ts'
import type { SourceBatch } from '../../../../../pipeline/source.ts'

/** One scripted subscription: events pushed by the test, taken by the reader one at a time. */
class FakeSubscription implements AsyncIterable<ShardEvent> {
  readonly queue: (ShardEvent | 'end' | Error)[] = []
  pulls = 0
  private wake: (() => void) | undefined
  constructor(readonly position: StartingPosition, readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.())
  }

  push(...items: (ShardEvent | 'end' | Error)[]): this {
    this.queue.push(...items)
    this.wake?.()
    return this
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ShardEvent> {
    for (;;) {
      this.pulls++
      while (this.queue.length === 0 && !this.signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve))
      if (this.signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' })
      const item = this.queue.shift()
      if (item === 'end' || item === undefined) return
      if (item instanceof Error) throw item
      yield item
    }
  }
}

function record(sequence: number): NonNullable<ShardEvent['Records']>[number] {
  return { SequenceNumber: String(sequence), PartitionKey: 'k', Data: new Uint8Array([sequence]), ApproximateArrivalTimestamp: new Date(0) }
}

/** `continuation` null: the field left out, as at a shard's end. */
function event(sequences: number[], continuation: number | null | undefined = sequences.at(-1), extra: Partial<ShardEvent> = {}): ShardEvent {
  return { Records: sequences.map(record), ContinuationSequenceNumber: continuation === null || continuation === undefined ? undefined : String(continuation), MillisBehindLatest: 0, ...extra }
}

interface Harness {
  options: FanOutReaderOptions
  subscriptions: FakeSubscription[]
  /** Each subscription is handed to this before the reader sees it: the test scripts it. */
  script: (subscription: FakeSubscription, index: number) => void
  handed: string[]
  health: boolean[]
  abort: AbortController
  registry: ReturnType<typeof createRegistry>
}

function harness(overrides: Partial<FanOutReaderOptions> = {}, failures: Error[] = []): Harness {
  const registry = createRegistry()
  const abort = new AbortController()
  const h: Harness = {
    subscriptions: [],
    script: () => undefined,
    handed: [],
    health: [],
    abort,
    registry,
    options: {
      stream: 's',
      shardId: 'shardId-000000000000',
      after: undefined,
      handler: (batch: SourceBatch) => {
        h.handed.push(...batch.records.map((item) => item.position))
        return Promise.resolve('taken' as const)
      },
      metrics: createSourceMetrics(registry),
      subscriptions: createSubscriptionMetrics(registry),
      logger: pino({ level: 'silent' }),
      signal: abort.signal,
      onHealth: (ok) => h.health.push(ok),
      subscribe: (position, signal) => {
        const failure = failures.shift()
        if (failure !== undefined) return Promise.reject(failure)
        const subscription = new FakeSubscription(position, signal)
        h.subscriptions.push(subscription)
        h.script(subscription, h.subscriptions.length - 1)
        return Promise.resolve(subscription)
      },
      readRest: () => Promise.reject(new Error('not closed')),
      isClosed: () => false,
      renewAfterMs: 60_000,
      minSubscribeIntervalMs: 0,
      backoff: { attempts: Infinity, initialDelayMs: 1, maxDelayMs: 5 },
      ...overrides,
    },
  }
  return h
}

async function subscriptionEvents(h: Harness): Promise<Record<string, number>> {
  const metric = await h.registry.getSingleMetric('pulse_kinesis_subscriptions_total')?.get()
  return Object.fromEntries((metric?.values ?? []).map((value) => [String(value.labels.event), value.value]))
}

describe('readShardFanOut', () => {
  it('starts after the checkpoint and goes on from each ended subscription’s continuation', async () => {
    const h = harness({ after: '10' })
    h.script = (subscription, index) => {
      if (index === 0) subscription.push(event([11, 12]), event([], 14), 'end')
      else if (index === 1) subscription.push(event([15]))
    }
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['11', '12', '15']))
    h.abort.abort()
    expect(await reading).toBe('stopped')
    expect(h.subscriptions.map((item) => item.position)).toEqual([
      { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '10' },
      // The continuation, not the last record: an empty event may move it on.
      { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '14' },
    ])
    expect(await subscriptionEvents(h)).toMatchObject({ subscribed: 2, ended_by_service: 1 })
  })

  it('subscribes from the oldest record without a checkpoint', async () => {
    const h = harness()
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.subscriptions).toHaveLength(1))
    h.abort.abort()
    await reading
    expect(h.subscriptions[0]?.position).toEqual({ Type: 'TRIM_HORIZON' })
  })

  it('renews a subscription that was never ended before its time is up, from its continuation', async () => {
    const h = harness({ renewAfterMs: 50 })
    h.script = (subscription, index) => {
      if (index === 0) subscription.push(event([1, 2]))
    }
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.subscriptions.length).toBeGreaterThanOrEqual(2))
    expect(h.subscriptions[0]?.signal.aborted).toBe(true)
    expect(h.subscriptions[1]?.position).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '2' })
    h.abort.abort()
    await reading
    expect(h.handed).toEqual(['1', '2'])
    expect((await subscriptionEvents(h)).renewed).toBeGreaterThanOrEqual(1)
  })

  it('ends the shard at a null continuation with ChildShards, after handing its records', async () => {
    const h = harness()
    h.script = (subscription) => subscription.push(event([1]), event([2, 3], null, { ChildShards: [{ ShardId: 'shardId-000000000001', ParentShards: ['shardId-000000000000'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' } }] }))
    expect(await readShardFanOut(h.options)).toBe('ended')
    expect(h.handed).toEqual(['1', '2', '3'])
    expect(h.subscriptions).toHaveLength(1)
    expect((await subscriptionEvents(h)).shard_end).toBe(1)
  })

  it('takes a null continuation on a shard not known closed as a continuation left out, not the end', async () => {
    const h = harness()
    h.script = (subscription, index) => {
      if (index === 0) subscription.push(event([1, 2]), event([], null), 'end')
    }
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.subscriptions).toHaveLength(2))
    h.abort.abort()
    expect(await reading).toBe('stopped')
    expect(h.subscriptions[1]?.position).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '2' })
  })

  it('reads a shard discovery saw closed to its end by polling, from the last record handed, at its first empty event', async () => {
    let closed = false
    const readRest = vi.fn((after: string | undefined) => Promise.resolve(after === '2' ? ('ended' as const) : ('stopped' as const)))
    const h = harness({ isClosed: () => closed, readRest })
    h.script = (subscription) => subscription.push(event([1]), event([2], 7))
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['1', '2']))
    // Records still arriving on a closed shard are read from the subscription; the empty event after them ends it.
    closed = true
    h.subscriptions[0]?.push(event([], 7))
    expect(await reading).toBe('ended')
    expect(readRest).toHaveBeenCalledExactlyOnceWith('2')
    expect(h.subscriptions[0]?.signal.aborted).toBe(true)
    expect((await subscriptionEvents(h)).closed_read_by_polling).toBe(1)
  })

  it('takes no event while the pipeline holds the last batch, and resubscribes after a hand-over that outlasted the subscription', async () => {
    let release: () => void = () => undefined
    const h = harness({ renewAfterMs: 100 })
    h.options.handler = (batch) => {
      h.handed.push(...batch.records.map((item) => item.position))
      return new Promise<'taken'>((resolve) => (release = () => resolve('taken')))
    }
    h.script = (subscription, index) => {
      if (index === 0) subscription.push(event([1]), event([2]))
    }
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['1']))
    const first = h.subscriptions[0]
    // The renewal passes while the handler is busy: the subscription is closed, its next event never taken.
    await vi.waitFor(() => expect(first?.signal.aborted).toBe(true))
    expect(first?.pulls).toBe(1)
    release()
    await vi.waitFor(() => expect(h.subscriptions).toHaveLength(2))
    expect(h.subscriptions[1]?.position).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '1' })
    expect(h.handed).toEqual(['1'])
    h.abort.abort()
    release()
    await reading
  })

  it('stops at once when the lease is lost, closing the subscription', async () => {
    const h = harness()
    h.script = (subscription) => subscription.push(event([1]))
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['1']))
    h.abort.abort()
    expect(await reading).toBe('stopped')
    expect(h.subscriptions[0]?.signal.aborted).toBe(true)
    expect(h.subscriptions).toHaveLength(1)
  })

  it('backs off and subscribes again on ResourceInUse and LimitExceeded without marking the source down', async () => {
    const named = (name: string): Error => Object.assign(new Error(name), { name })
    const h = harness({}, [named('ResourceInUseException'), named('LimitExceededException')])
    h.script = (subscription) => subscription.push(event([1]))
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['1']))
    h.abort.abort()
    await reading
    expect(h.health).not.toContain(false)
    expect((await subscriptionEvents(h)).failed).toBe(2)
  })

  it('resubscribes from the last position after the event stream breaks, marking the source down until an event arrives', async () => {
    const h = harness()
    h.script = (subscription, index) => {
      if (index === 0) subscription.push(event([1]), new Error('socket hang up'))
      else subscription.push(event([2]))
    }
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['1', '2']))
    h.abort.abort()
    await reading
    expect(h.subscriptions[1]?.position).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '1' })
    expect(h.health).toEqual([true, false, true])
  })

  it('fails with the pipeline’s error instead of handing the records over again', async () => {
    const h = harness()
    h.options.handler = () => Promise.reject(new Error('sink refused'))
    h.script = (subscription) => subscription.push(event([1]))
    await expect(readShardFanOut(h.options)).rejects.toThrow('sink refused')
    expect(h.subscriptions).toHaveLength(1)
  })

  it('drops records at or before the last one handed over, should the service send them', async () => {
    const h = harness({ after: '5' })
    h.script = (subscription) => subscription.push(event([3, 5, 6]), event([6, 7]))
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['6', '7']))
    h.abort.abort()
    await reading
  })

  it('subscribes from the oldest record when the checkpointed one is gone, skipping what the checkpoint covers', async () => {
    const gone = Object.assign(new Error('Unable to find record with provided SequenceNumber'), { name: 'ResourceNotFoundException' })
    const h = harness({ after: '5' }, [gone])
    h.script = (subscription) => subscription.push(event([4, 5, 6]))
    const reading = readShardFanOut(h.options)
    await vi.waitFor(() => expect(h.handed).toEqual(['6']))
    h.abort.abort()
    await reading
    expect(h.subscriptions[0]?.position).toEqual({ Type: 'TRIM_HORIZON' })
  })
})
