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
  const cursor: Cursor = { iterator: undefined, lastPosition: options.after }
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
    const records = (response.Records ?? []).map(toSourceRecord)
    options.metrics.millisBehind.set({ stream: options.stream, shard: options.shardId }, response.MillisBehindLatest ?? 0)
    const idle = records.length === 0 || response.MillisBehindLatest === 0
    // Outside the retry: a failing handler is the pipeline's failure, not a read to retry (retrying
    // would hand the same records over twice).
    if (records.length > 0) {
      options.metrics.records.inc({ stream: options.stream }, records.length)
      await options.handler({ stream: options.stream, partition: options.shardId, records })
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
}

async function getRecords(options: ShardReaderOptions, cursor: Cursor): Promise<GetRecordsCommandOutput> {
  cursor.iterator ??= await openIterator(options, cursor.lastPosition)
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

async function openIterator(options: ShardReaderOptions, after: string | undefined): Promise<string> {
  const input: GetShardIteratorCommandInput =
    after === undefined
      ? { StreamName: options.stream, ShardId: options.shardId, ShardIteratorType: 'TRIM_HORIZON' }
      : { StreamName: options.stream, ShardId: options.shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
  const response = await options.client.send(new GetShardIteratorCommand(input), { abortSignal: options.signal })
  if (response.ShardIterator === undefined) throw new Error(`no iterator for ${options.stream}/${options.shardId}`)
  return response.ShardIterator
}

function toSourceRecord(record: _Record): SourceRecord {
  return {
    position: record.SequenceNumber ?? '0',
    key: record.PartitionKey ?? '',
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
