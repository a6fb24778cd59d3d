// Reads one shard in order, from just after its checkpoint, handing each batch to the pipeline and
// waiting for it before fetching more (that wait is the backpressure). Respects the API's limit of
// five GetRecords calls per second per shard, renews expired iterators from the last position it
// handed over, and backs off on throttling or transport errors.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { BatchHandler, SourceRecord } from '../../../pipeline/source.ts'
import { backoffDelay } from '../../../runtime/retry.ts'
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
  const { signal, stream, shardId } = options
  let lastPosition = options.after
  let iterator: string | undefined
  let failures = 0
  while (!signal.aborted) {
    const callStarted = Date.now()
    let records: SourceRecord[]
    let nextIterator: string | undefined
    let idle: boolean
    try {
      iterator ??= await openIterator(options, lastPosition)
      const response = await options.client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: options.maxRecordsPerCall }),
        { abortSignal: signal },
      )
      failures = 0
      options.onHealth(true)
      records = (response.Records ?? []).map(toSourceRecord)
      options.metrics.millisBehind.set({ stream, shard: shardId }, response.MillisBehindLatest ?? 0)
      nextIterator = response.NextShardIterator
      idle = records.length === 0 || response.MillisBehindLatest === 0
    } catch (error) {
      if (isAborted(signal)) break
      failures++
      iterator = isExpired(error) ? undefined : iterator
      if (!isExpired(error) && !isThrottled(error)) options.onHealth(false)
      options.metrics.retries.inc({ cause: errorName(error) })
      if (failures === 1 || failures % 20 === 0) {
        options.logger.warn({ stream, shard: shardId, failures, err: errorMessage(error) }, 'GetRecords failed; retrying')
      }
      await pause(backoffDelay(failures, { attempts: Infinity, initialDelayMs: 250, maxDelayMs: 5000 }), signal)
      continue
    }
    // Outside the try: a failing handler is the pipeline's failure, not a read to retry (retrying
    // would hand the same records over twice).
    if (records.length > 0) {
      options.metrics.records.inc({ stream }, records.length)
      await options.handler({ stream, partition: shardId, records })
      lastPosition = records[records.length - 1]?.position ?? lastPosition
    }
    if (nextIterator === undefined) return 'ended'
    iterator = nextIterator
    await pause(idle ? options.pollIntervalMs : MIN_CALL_INTERVAL_MS - (Date.now() - callStarted), signal)
  }
  return 'stopped'
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
