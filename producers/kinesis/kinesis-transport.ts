// Puts records on Kinesis within the API's limits: user records bound for one shard are packed into
// KPL aggregated records (a Kinesis record costs one of a shard's 1,000 writes per second however
// small it is), PutRecords requests carry at most 500 records and 5 MiB, and only the entries a
// request reports as failed are sent again, with jittered backoff.
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { AggregateBuilder } from '../../schemas/kpl-aggregation.ts'
import type { ProducerMetrics } from '../metrics.ts'
import type { OutgoingRecord, Transport } from '../transport.ts'
import { retry, worthLogging } from '../../runtime/retry.ts'
import { hashKeyOf, listOpenShards, shardFor, type ShardRange } from './shard-map.ts'

export const PUT_RECORDS_MAX_ENTRIES = 500
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024
/** The KPL's default AggregationMaxSize: large enough to amortise, small enough to spread load. */
export const DEFAULT_AGGREGATE_BYTES = 51_200

export interface KinesisTransportOptions {
  client: KinesisClient
  shards: number
  metrics: ProducerMetrics
  logger: Logger
  /** Pack records into KPL aggregated records (on by default). */
  aggregate?: boolean
  maxAggregateBytes?: number
  maxAttempts?: number
}

export class KinesisTransport implements Transport {
  readonly name = 'kinesis'
  private readonly shardMaps = new Map<string, ShardRange[]>()

  constructor(private readonly options: KinesisTransportOptions) {}

  async ensureStreams(streams: readonly string[]): Promise<void> {
    for (const stream of streams) {
      try {
        await this.options.client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: this.options.shards }))
        this.options.logger.info({ stream, shards: this.options.shards }, 'stream created')
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error
      }
      await this.waitActive(stream)
    }
  }

  async send(stream: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return
    const entries = this.options.aggregate === false ? records.map(plainEntry) : await this.aggregateByShard(stream, records)
    for (const request of requests(entries)) await this.putWithRetry(stream, request)
    this.options.metrics.records.inc({ stream }, records.length)
  }

  close(): Promise<void> {
    this.options.client.destroy()
    return Promise.resolve()
  }

  private async aggregateByShard(stream: string, records: readonly OutgoingRecord[]): Promise<PutRecordsRequestEntry[]> {
    const ranges = await this.shardMap(stream)
    const byShard = new Map<string, OutgoingRecord[]>()
    for (const record of records) {
      const shardId = shardFor(ranges, hashKeyOf(record.key))?.shardId ?? ''
      const group = byShard.get(shardId)
      if (group === undefined) byShard.set(shardId, [record])
      else group.push(record)
    }
    const limit = this.options.maxAggregateBytes ?? DEFAULT_AGGREGATE_BYTES
    const entries: PutRecordsRequestEntry[] = []
    for (const group of byShard.values()) entries.push(...packGroup(group, limit))
    return entries
  }

  private async shardMap(stream: string): Promise<ShardRange[]> {
    let ranges = this.shardMaps.get(stream)
    if (ranges === undefined) {
      ranges = await listOpenShards(this.options.client, stream)
      this.shardMaps.set(stream, ranges)
    }
    return ranges
  }

  /** Puts the entries, then again only those that failed (PutRecords fails entry by entry). */
  private async putWithRetry(stream: string, entries: PutRecordsRequestEntry[]): Promise<void> {
    const { metrics, logger } = this.options
    let pending = entries
    await retry(
      async () => {
        metrics.requests.inc({ stream })
        const failed = await this.put(stream, pending)
        if (failed.length === 0) return
        // A shard may have been split or merged: learn the map again before the next packing.
        this.shardMaps.delete(stream)
        pending = failed.map((failure) => failure.entry)
        throw new PartialPutFailure(stream, failed.length, failed[0]?.code ?? 'unknown')
      },
      {
        attempts: this.options.maxAttempts ?? 20,
        initialDelayMs: 100,
        maxDelayMs: 5000,
        retriable: () => true,
        cause: (error) => (error instanceof PartialPutFailure ? error.code : error instanceof Error ? error.name : 'unknown'),
        onRetry: (error, attempt, _delayMs, cause) => {
          const records = error instanceof PartialPutFailure ? error.records : pending.length
          metrics.retries.inc({ cause }, records)
          if (worthLogging(attempt)) logger.warn({ stream, failed: records, cause, attempt }, 'put failed; retrying those records')
        },
      },
    )
  }

  /** The entries that failed, each with its error code. */
  private async put(stream: string, entries: PutRecordsRequestEntry[]): Promise<{ entry: PutRecordsRequestEntry; code: string }[]> {
    const response = await this.options.client.send(new PutRecordsCommand({ StreamName: stream, Records: entries }))
    const results = response.Records ?? []
    return entries.flatMap((entry, index) => {
      const code = results[index]?.ErrorCode
      return code === undefined ? [] : [{ entry, code }]
    })
  }

  private async waitActive(stream: string): Promise<void> {
    const deadline = Date.now() + 60_000
    for (;;) {
      const summary = await this.options.client.send(new DescribeStreamSummaryCommand({ StreamName: stream }))
      if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return
      if (Date.now() > deadline) throw new Error(`stream ${stream} not ACTIVE after 60 s`)
      await sleep(100)
    }
  }
}

function plainEntry(record: OutgoingRecord): PutRecordsRequestEntry {
  return { PartitionKey: record.key, Data: record.value }
}

/** Packs one shard's records, in order, into aggregated records of at most `limit` bytes. */
export function packGroup(group: readonly OutgoingRecord[], limit: number): PutRecordsRequestEntry[] {
  const entries: PutRecordsRequestEntry[] = []
  const builder = new AggregateBuilder(limit)
  const emit = (): void => {
    const packed = builder.flush()
    // The aggregated record is routed by its first record's key; all of them hash to that shard.
    if (packed !== undefined) entries.push({ PartitionKey: packed.key, ExplicitHashKey: hashKeyOf(packed.key).toString(), Data: packed.data })
  }
  for (const record of group) {
    if (builder.tryAdd(record.key, record.value)) continue
    emit()
    // Too big to share an aggregate: it goes alone, as a plain record (deaggregation passes those through).
    if (!builder.tryAdd(record.key, record.value)) entries.push(plainEntry(record))
  }
  emit()
  return entries
}

export function* requests(entries: readonly PutRecordsRequestEntry[]): Generator<PutRecordsRequestEntry[]> {
  let request: PutRecordsRequestEntry[] = []
  let bytes = 0
  for (const entry of entries) {
    // Kinesis counts the partition key's UTF-8 bytes, not its UTF-16 length.
    const size = (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '', 'utf8')
    if (request.length === PUT_RECORDS_MAX_ENTRIES || (request.length > 0 && bytes + size > PUT_RECORDS_MAX_BYTES)) {
      yield request
      request = []
      bytes = 0
    }
    request.push(entry)
    bytes += size
  }
  if (request.length > 0) yield request
}

/** Some entries of a PutRecords call were refused (throttled, internal failure): those are sent again. */
class PartialPutFailure extends Error {
  constructor(
    stream: string,
    readonly records: number,
    readonly code: string,
  ) {
    super(`${records} records to ${stream} failed: ${code}`)
  }
}
