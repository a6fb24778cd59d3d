// Reads one shard in order, from just after its checkpoint, handing each batch to the pipeline and
// waiting for it before fetching more (that wait is the backpressure). Respects the API's limit of
// five GetRecords calls per second per shard, renews expired iterators from the last position it
// handed over, and backs off on throttling or transport errors (one retry policy, runtime/retry.ts).
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { BatchHandler, SourceRecord } from '../../../pipeline/source.ts'
import { comparePositions } from '../../../pipeline/position.ts'
import { retry, worthLogging, type RetryOptions } from '../../../runtime/retry.ts'
import { errorMessage } from '../../../runtime/errors.ts'
import type { SourceMetrics } from '../metrics.ts'

const MIN_CALL_INTERVAL_MS = 200

export interface ShardReaderOptions {
  client: KinesisClient
  stream: string
  shardId: string
  /** Resume after this sequence number; undefined starts at the oldest record. */
  after: string | undefined
  pollIntervalMs: number
  maxRecordsPerCall: number
  handler: BatchHandler
  metrics: SourceMetrics
  logger: Logger
  signal: AbortSignal
  onHealth(ok: boolean): void
}

/** Resolves 'ended' when the shard is closed and fully read, 'stopped' when aborted. */
export async function readShard(options: ShardReaderOptions): Promise<'ended' | 'stopped'> {
  const { signal } = options
  const cursor: Cursor = { iterator: undefined, lastPosition: options.after, skipThrough: undefined }
  while (!signal.aborted) {
    const callStarted = Date.now()
    let response: GetRecordsCommandOutput
    try {
      response = await retry(() => getRecords(options, cursor), readPolicy(options))
    } catch (error) {
      if (isAborted(signal)) break
      throw error
    }
    options.onHealth(true)
    const records = notYetRead((response.Records ?? []).map(toSourceRecord), cursor)
    options.metrics.millisBehind.set({ stream: options.stream, shard: options.shardId }, response.MillisBehindLatest ?? 0)
    const idle = records.length === 0 || response.MillisBehindLatest === 0
    // Outside the retry: a failing handler is the pipeline's failure, not a read to retry (retrying
    // would hand the same records over twice).
    if (records.length > 0) {
      options.metrics.records.inc({ stream: options.stream }, records.length)
      // A withdrawn batch was not taken: the lease is going, and the shard's end is not reached.
      if ((await options.handler({ stream: options.stream, partition: options.shardId, records, withdrawn: signal })) === 'withdrawn') break
      cursor.lastPosition = records[records.length - 1]?.position ?? cursor.lastPosition
    }
    if (response.NextShardIterator === undefined) return 'ended'
    cursor.iterator = response.NextShardIterator
    await pause(idle ? options.pollIntervalMs : MIN_CALL_INTERVAL_MS - (Date.now() - callStarted), signal)
  }
  return 'stopped'
}

interface Cursor {
  iterator: string | undefined
  /** The last position handed over: an expired iterator is renewed from just after it. */
  lastPosition: string | undefined
  /** Reading from the oldest record because the checkpoint's was gone: records up to here were read before. */
  skipThrough: string | undefined
}

async function getRecords(options: ShardReaderOptions, cursor: Cursor): Promise<GetRecordsCommandOutput> {
  cursor.iterator ??= await openIteratorAfter(options, cursor)
  try {
    return await options.client.send(new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: options.maxRecordsPerCall }), { abortSignal: options.signal })
  } catch (error) {
    if (isExpired(error)) cursor.iterator = undefined
    throw error
  }
}

/**
 * The reader's retry policy: every failure is retried until the reader is stopped (throttling,
 * an expired iterator, the stream unreachable). Throttling and expiry are normal; anything else
 * marks the source disconnected for /readyz until a read succeeds.
 */
function readPolicy(options: ShardReaderOptions): RetryOptions {
  const { stream, shardId, signal } = options
  return {
    attempts: Infinity,
    initialDelayMs: 250,
    maxDelayMs: 5000,
    signal,
    retriable: () => !isAborted(signal),
    cause: errorName,
    onRetry: (error, attempt, _delayMs, cause) => {
      if (!isExpired(error) && !isThrottled(error)) options.onHealth(false)
      options.metrics.retries.inc({ cause })
      if (worthLogging(attempt)) options.logger.warn({ stream, shard: shardId, failures: attempt, err: errorMessage(error) }, 'GetRecords failed; retrying')
    },
  }
}

/**
 * An iterator just after the cursor's position. When the stream no longer holds that record (its
 * history was rewound: the embedded emulator restored from its last whole copy after a hard kill),
 * AFTER_SEQUENCE_NUMBER is refused for ever; reading from the oldest record instead and skipping what
 * the checkpoint already covers goes on with whatever is newer, and says so.
 */
async function openIteratorAfter(options: ShardReaderOptions, cursor: Cursor): Promise<string> {
  try {
    return await openIterator(options, cursor.lastPosition)
  } catch (error) {
    if (cursor.lastPosition === undefined || !isUnknownPosition(error)) throw error
    options.logger.warn({ stream: options.stream, shard: options.shardId, position: cursor.lastPosition }, 'the stream no longer holds the checkpointed record (its history was rewound); reading from its oldest record, skipping what the checkpoint covers')
    cursor.skipThrough = cursor.lastPosition
    return openIterator(options, undefined)
  }
}

/** Drops what a rewound read sees again up to `skipThrough` (shared with the fan-out reader). */
export function notYetRead(records: SourceRecord[], cursor: { skipThrough: string | undefined }): SourceRecord[] {
  const skip = cursor.skipThrough
  if (skip === undefined) return records
  const fresh = records.filter((record) => comparePositions(record.position, skip) > 0)
  // Past the checkpoint: from here on the shard reads as usual.
  if (fresh.length > 0) cursor.skipThrough = undefined
  return fresh
}

export function isUnknownPosition(error: unknown): boolean {
  // kinesis-mock's words, and AWS's for a sequence number the shard does not hold.
  const message = error instanceof Error ? error.message : ''
  return /Unable to find record with provided SequenceNumber/.test(message) || (errorName(error) === 'InvalidArgumentException' && /StartingSequenceNumber/.test(message))
}

async function openIterator(options: ShardReaderOptions, after: string | undefined): Promise<string> {
  const input: GetShardIteratorCommandInput =
    after === undefined
      ? { StreamName: options.stream, ShardId: options.shardId, ShardIteratorType: 'TRIM_HORIZON' }
      : { StreamName: options.stream, ShardId: options.shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
  const response = await options.client.send(new GetShardIteratorCommand(input), { abortSignal: options.signal })
  if (response.ShardIterator === undefined) throw new Error(`no iterator for ${options.stream}/${options.shardId}`)
  return response.ShardIterator
}

export function toSourceRecord(record: _Record): SourceRecord {
  return {
    position: record.SequenceNumber ?? '0',
    data: record.Data === undefined ? Buffer.alloc(0) : Buffer.from(record.Data.buffer, record.Data.byteOffset, record.Data.byteLength),
    streamTimeMs: record.ApproximateArrivalTimestamp?.getTime(),
  }
}

/** Read through a call, so the compiler does not narrow it from the loop condition. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown'
}

function isExpired(error: unknown): boolean {
  return errorName(error) === 'ExpiredIteratorException'
}

function isThrottled(error: unknown): boolean {
  return errorName(error) === 'ProvisionedThroughputExceededException' || errorName(error) === 'LimitExceededException'
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return
  await sleep(ms, undefined, { signal }).catch(() => undefined)
}
