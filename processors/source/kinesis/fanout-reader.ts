// Reads one shard with enhanced fan-out: a SubscribeToShard event stream from just after the
// checkpoint, each event's records handed to the pipeline and awaited before the next event is taken
// (not reading the stream is the backpressure: HTTP flow control holds the sender). A subscription is
// renewed from its ContinuationSequenceNumber before AWS ends it at 5 minutes, and after AWS ended it.
// A shard's end is a null continuation with ChildShards; because kinesis-mock never sends that, a shard
// that discovery knows is closed and whose event brings no records is read to its end by polling.
import type { ChildShard, StartingPosition, _Record } from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import { comparePositions } from '../../../pipeline/position.ts'
import type { BatchOutcome } from '../../../pipeline/source.ts'
import { backoffDelay, worthLogging, type RetryOptions } from '../../../runtime/retry.ts'
import { errorMessage } from '../../../runtime/errors.ts'
import { isUnknownPosition, notYetRead, toSourceRecord, type ShardReaderOptions } from './shard-reader.ts'
import type { SubscriptionEvent as Outcome, SubscriptionMetrics } from './subscription-metrics.ts'

/** What a SubscribeToShardEvent carries that the reader uses. */
export interface ShardEvent {
  Records?: _Record[] | undefined
  ContinuationSequenceNumber?: string | undefined
  MillisBehindLatest?: number | undefined
  ChildShards?: ChildShard[] | undefined
}

export type Subscribe = (position: StartingPosition, signal: AbortSignal) => Promise<AsyncIterable<ShardEvent>>

export interface FanOutReaderOptions extends Pick<ShardReaderOptions, 'stream' | 'shardId' | 'after' | 'handler' | 'metrics' | 'logger' | 'signal' | 'onHealth'> {
  subscribe: Subscribe
  /** Reads the rest of a closed shard after this position with GetRecords, to its end. */
  readRest(after: string | undefined): Promise<'ended' | 'stopped'>
  /** Whether shard discovery saw the shard closed (an EndingSequenceNumber). */
  isClosed(): boolean
  renewAfterMs: number
  subscriptions: SubscriptionMetrics
  /** Least time between two subscriptions of the shard: AWS allows one a second per consumer and shard. */
  minSubscribeIntervalMs?: number
  /** Backoff between failed subscriptions (default from 1 s up to 10 s). */
  backoff?: RetryOptions
}

interface Cursor {
  /** The last position handed over. */
  position: string | undefined
  /** Where the last event said to go on from. */
  continuation: string | undefined
  /** Reading from the oldest record because the checkpoint's was gone: records up to here were read before. */
  skipThrough: string | undefined
  subscribedAt: number
  failures: number
}

/** A failure of the pipeline's handler: never a reason to resubscribe (that would hand records twice). */
class HandlerFailure extends Error {
  constructor(readonly failure: unknown) {
    super('the batch handler failed')
  }
}

const CONTENTION_BACKOFF: RetryOptions = { attempts: Infinity, initialDelayMs: 1000, maxDelayMs: 10_000 }

/** Resolves 'ended' when the shard is closed and fully read, 'stopped' when aborted (a lost lease: at once). */
export async function readShardFanOut(options: FanOutReaderOptions): Promise<'ended' | 'stopped'> {
  const { signal } = options
  const cursor: Cursor = { position: options.after, continuation: undefined, skipThrough: undefined, subscribedAt: 0, failures: 0 }
  while (!isAborted(signal)) {
    await pause(cursor.subscribedAt + (options.minSubscribeIntervalMs ?? 1000) - Date.now(), signal)
    if (isAborted(signal)) break
    let outcome: Outcome
    try {
      cursor.subscribedAt = Date.now()
      outcome = await subscribeOnce(options, cursor)
    } catch (error) {
      if (error instanceof HandlerFailure) throw error.failure
      if (isAborted(signal)) break
      if (rewound(options, cursor, error)) continue
      noteFailure(options, error, ++cursor.failures)
      await pause(backoffDelay(cursor.failures, options.backoff ?? CONTENTION_BACKOFF), signal)
      continue
    }
    options.subscriptions.events.inc({ event: outcome })
    if (outcome === 'shard_end') return 'ended'
    if (outcome === 'closed_read_by_polling') return options.readRest(cursor.position ?? cursor.skipThrough)
  }
  return 'stopped'
}

/** One subscription, until it must be renewed, the service ends it, or the shard ends. */
async function subscribeOnce(options: FanOutReaderOptions, cursor: Cursor): Promise<Outcome> {
  const renewal = new AbortController()
  const timer = setTimeout(() => renewal.abort(), options.renewAfterMs)
  try {
    const events = await options.subscribe(startingPosition(cursor), AbortSignal.any([options.signal, renewal.signal]))
    options.subscriptions.events.inc({ event: 'subscribed' })
    for await (const event of events) {
      const end = await onEvent(options, cursor, event)
      if (end !== undefined) return end
      // Also after a long hand-over (the pipeline's buffer was full): go on from a fresh subscription.
      if (renewal.signal.aborted) return 'renewed'
    }
    return 'ended_by_service'
  } catch (error) {
    if (renewal.signal.aborted && !options.signal.aborted && !(error instanceof HandlerFailure)) return 'renewed'
    throw error
  } finally {
    clearTimeout(timer)
    // Closes the response when the loop was left early.
    renewal.abort()
  }
}

async function onEvent(options: FanOutReaderOptions, cursor: Cursor, event: ShardEvent): Promise<Outcome | undefined> {
  cursor.failures = 0
  options.onHealth(true)
  options.metrics.millisBehind.set({ stream: options.stream, shard: options.shardId }, event.MillisBehindLatest ?? 0)
  const received = event.Records ?? []
  const records = notYetRead(received.map(toSourceRecord), cursor).filter((record) => isAfter(record.position, cursor.position))
  if (records.length > 0) {
    options.metrics.records.inc({ stream: options.stream }, records.length)
    let outcome: BatchOutcome
    try {
      outcome = await options.handler({ stream: options.stream, partition: options.shardId, records, withdrawn: options.signal })
    } catch (error) {
      throw new HandlerFailure(error)
    }
    // Only on the reader's own signal: the read loop sees it aborted and stops there.
    if (outcome === 'withdrawn') throw new Error('the batch was withdrawn: the reader is stopping')
    cursor.position = records[records.length - 1]?.position ?? cursor.position
  }
  if (event.ContinuationSequenceNumber !== undefined) cursor.continuation = event.ContinuationSequenceNumber
  // A null continuation ends the shard only with its children named or the shard known closed;
  // otherwise it is taken as a continuation left out, and the next subscription starts from the last one.
  else if (event.ChildShards !== undefined || options.isClosed()) return 'shard_end'
  if (received.length === 0 && options.isClosed()) return 'closed_read_by_polling'
  return undefined
}

/**
 * Records at or before the last one handed over were read already. AWS never sends them; kinesis-mock
 * does: asked for AFTER_SEQUENCE_NUMBER of a position no record holds, it streams the shard from its
 * oldest record.
 */
function isAfter(position: string, handed: string | undefined): boolean {
  return handed === undefined || comparePositions(position, handed) > 0
}

function startingPosition(cursor: Cursor): StartingPosition {
  const after = cursor.continuation ?? cursor.position
  return after === undefined ? { Type: 'TRIM_HORIZON' } : { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
}

/** The polling reader's fallback: the stream no longer holds the checkpointed record (history rewound). */
function rewound(options: FanOutReaderOptions, cursor: Cursor, error: unknown): boolean {
  const after = cursor.continuation ?? cursor.position
  if (after === undefined || !isUnknownPosition(error)) return false
  options.logger.warn({ stream: options.stream, shard: options.shardId, position: after }, 'the stream no longer holds the checkpointed record (its history was rewound); subscribing from its oldest record, skipping what the checkpoint covers')
  cursor.skipThrough = after
  cursor.position = undefined
  cursor.continuation = undefined
  return true
}

function noteFailure(options: FanOutReaderOptions, error: unknown, failures: number): void {
  const cause = error instanceof Error ? error.name : 'unknown'
  // Another subscription still open (the previous owner's, or ours being closed) or too many
  // subscribe calls: normal around a lease change, and no sign of a disconnected source.
  if (cause !== 'ResourceInUseException' && cause !== 'LimitExceededException') options.onHealth(false)
  options.metrics.retries.inc({ cause })
  options.subscriptions.events.inc({ event: 'failed' })
  if (worthLogging(failures)) options.logger.warn({ stream: options.stream, shard: options.shardId, failures, err: errorMessage(error) }, 'SubscribeToShard failed; subscribing again')
}

/** Read through a call, so the compiler does not narrow it from the loop condition. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return
  await sleep(ms, undefined, { signal }).catch(() => undefined)
}
