// The processing role: a source's batches go through the record processor into per-partition
// segments; a tick seals and flushes what is due. When too many rows wait for ClickHouse, the batch
// handler waits too, so the source stops fetching: memory stays bounded and nothing is dropped.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { RecordKind } from '../schemas/types.ts'
import type { CheckpointStore } from '../sinks/clickhouse/checkpoint-store.ts'
import type { SinkMetrics } from '../sinks/clickhouse/metrics.ts'
import { PartitionSegments } from '../sinks/clickhouse/segments.ts'
import type { ClickHouseSink } from '../sinks/clickhouse/sink.ts'
import { IpOwnershipIndex } from './enrich/ip-ownership.ts'
import { Flusher, partitionKey } from './flusher.ts'
import { createProcessorMetrics, type ProcessorMetrics } from './metrics.ts'
import { RecordProcessor } from './record-processor.ts'
import { DEFAULT_ROLLUPS } from './rollups.ts'
import type { SourceBatch, Source } from './source/types.ts'
import { loadOwnership } from './enrich/load-ownership.ts'
import { errorMessage } from '../runtime/errors.ts'
import { stateHorizonMs, type ClientProcessingSettings } from './client-partition.ts'
import { decodeState, restoreClientPartition } from './restore.ts'
import type { Checkpoint } from '../sinks/clickhouse/checkpoint-store.ts'
import { setTimeout as sleep } from 'node:timers/promises'

export interface StreamProcessorOptions {
  source: Source
  sink: ClickHouseSink
  store: CheckpointStore
  client: ClickHouseClient
  kindOf: (stream: string) => RecordKind
  registry: Registry
  logger: Logger
  batchRows: number
  flushIntervalMs: number
  dedup: boolean
  processing: ClientProcessingSettings
  /** Shared with the sink: one set per registry. */
  sinkMetrics: SinkMetrics
  /** Rows that may wait for ClickHouse before the source is paused. */
  maxBufferedRows?: number
  /** Called if flushing fails for good; the process should stop. */
  onFatal: (error: unknown) => void
}

const TICK_MS = 100
/** How often changes other processors wrote to ip_assignments are read (well inside the hold-back). */
const OWNERSHIP_REFRESH_MS = 2000
/** Rows are read again from this far before the newest seen: clocks of writers differ a little. */
const OWNERSHIP_OVERLAP_MS = 30_000

export class StreamProcessor {
  readonly metrics: ProcessorMetrics
  private readonly segments: PartitionSegments
  private readonly flusher: Flusher
  private readonly records: RecordProcessor
  private readonly ownership = new IpOwnershipIndex()
  private readonly maxBufferedRows: number
  private ticker: NodeJS.Timeout | undefined
  private ownershipPoller: NodeJS.Timeout | undefined
  private ownershipSince = 0
  private refreshing = false
  /** Aborted on stop, to cut short a flow batch's hold-back. */
  private readonly stopping = new AbortController()
  /** Last position handed over per partition, where shutdown rows are attached. */
  private readonly lastPositions = new Map<string, string>()

  constructor(private readonly options: StreamProcessorOptions) {
    this.metrics = createProcessorMetrics(options.registry)
    this.metrics.holdBack.set(options.processing.enrichHoldBackMs / 1000)
    const sinkMetrics = options.sinkMetrics
    this.segments = new PartitionSegments({ batchRows: options.batchRows, flushIntervalMs: options.flushIntervalMs })
    this.maxBufferedRows = options.maxBufferedRows ?? options.batchRows * 4
    this.flusher = new Flusher({
      source: options.source,
      segments: this.segments,
      sink: options.sink,
      store: options.store,
      metrics: sinkMetrics,
      logger: options.logger.child({ component: 'flusher' }),
      rollups: DEFAULT_ROLLUPS,
      dedup: options.dedup,
    })
    this.records = new RecordProcessor({
      source: options.source.name,
      kindOf: options.kindOf,
      ownership: this.ownership,
      metrics: this.metrics,
      processing: options.processing,
    })
  }

  /** User records processed since start, dead letters included (for the status line). */
  get recordsProcessed(): number {
    return this.records.recordsProcessed
  }

  get bufferedRows(): number {
    return this.segments.bufferedRows
  }

  async start(): Promise<void> {
    const loaded = await loadOwnership(this.options.client, this.options.sink.database, this.ownership)
    this.options.logger.info({ changes: loaded.applied }, 'IP ownership history loaded')
    this.ownershipSince = loaded.newestIngestMs
    this.ticker = setInterval(() => this.tick(), TICK_MS)
    this.ownershipPoller = setInterval(() => void this.refreshOwnership(), OWNERSHIP_REFRESH_MS)
    await this.options.source.start((batch) => this.handle(batch), {
      onAssigned: (stream, partition, checkpoint) => this.assign(stream, partition, checkpoint),
      onRevoked: async (stream, partition) => {
        // Given up as on stop: open sessions written, everything flushed and committed.
        const key = partitionKey(stream, partition)
        this.writeOpenSessions(key)
        await this.flusher.flush(true)
        this.segments.dropPartition(key)
        // Its event-time state goes too: if the partition comes back (a Kafka rebalance hands most
        // partitions straight back), assign() must rebuild it from ClickHouse, not add to a stale copy.
        this.records.clientPartitions.delete(key)
        this.lastPositions.delete(key)
      },
    })
  }

  /** Stops reading and ticking without flushing, as a crash would: what is not committed is replayed
   *  by the next processor. Used after a fatal error, when flushing again cannot be trusted. A flush
   *  a tick had already started is waited for (never a new one), so nothing is written once this
   *  resolves: a successor then reads checkpoints that this processor no longer moves. */
  async abandon(): Promise<void> {
    this.stopping.abort()
    if (this.ticker !== undefined) clearInterval(this.ticker)
    if (this.ownershipPoller !== undefined) clearInterval(this.ownershipPoller)
    await this.options.source.stop()
    await this.flusher.settled()
  }

  /** Stops reading, writes the open sessions as they stand, then flushes and commits everything. */
  async stop(): Promise<void> {
    this.stopping.abort()
    await this.options.source.stop()
    if (this.ticker !== undefined) clearInterval(this.ticker)
    if (this.ownershipPoller !== undefined) clearInterval(this.ownershipPoller)
    for (const key of this.records.clientPartitions.keys()) this.writeOpenSessions(key)
    await this.flusher.flush(true)
  }

  /** Appends a partition's open sessions as they stand, at the last position read from it. */
  private writeOpenSessions(key: string): void {
    const state = this.records.clientPartitions.get(key)
    const position = this.lastPositions.get(key)
    if (state !== undefined && position !== undefined) this.segments.appendSnapshot(key, position, state.openSessionRows(), Date.now(), { highestEventTime: state.clock.highestEventTime })
  }

  /** A partition arrives: re-arm its pending block and rebuild its event-time state from ClickHouse. */
  private async assign(stream: string, partition: string, checkpoint: Checkpoint | undefined): Promise<void> {
    if (checkpoint === undefined) return
    this.flusher.adopt(checkpoint)
    if (this.options.kindOf(stream) !== 'client_event') return
    const restored = decodeState(checkpoint.state)
    const state = this.records.clientPartition(stream, partition, restored?.highestEventTime)
    // Sessions restored here are written on shutdown even if no new record arrives for the partition.
    const key = partitionKey(stream, partition)
    if (checkpoint.position !== undefined && !this.lastPositions.has(key)) this.lastPositions.set(key, checkpoint.position)
    const { processing, client, sink } = this.options
    const applied = await restoreClientPartition(client, sink.database, checkpoint, state, stateHorizonMs(processing))
    this.options.logger.info({ stream, partition, position: checkpoint.position, events: applied, openSessions: state.sessions.size }, 'partition state restored')
  }

  private async handle(batch: SourceBatch): Promise<void> {
    if (this.options.kindOf(batch.stream) === 'network_flow') await this.holdBack(batch)
    const key = partitionKey(batch.stream, batch.partition)
    const clientState = this.options.kindOf(batch.stream) === 'client_event' ? this.records.clientPartition(batch.stream, batch.partition) : undefined
    for (const record of batch.records) {
      const rows = this.records.derive(batch.stream, batch.partition, record)
      const state = clientState === undefined ? undefined : { highestEventTime: clientState.clock.highestEventTime }
      this.segments.append(key, record.position, rows, Date.now(), state)
    }
    const last = batch.records[batch.records.length - 1]
    if (last !== undefined) this.lastPositions.set(key, last.position)
    // A sealed block starts on its way now, not at the next tick, and records go on being processed
    // while it is inserted.
    if (this.segments.hasSealed) this.kickFlush()
    try {
      await this.relieveBackpressure()
    } catch (error) {
      this.options.onFatal(error)
      throw error
    }
  }

  /**
   * Backpressure: the source waits for this, so it fetches nothing more until ClickHouse catches up.
   * It waits for the blocks already on their way; when none are (every partition's block is still
   * open and together they hold too much), it seals the largest and sends that.
   */
  private async relieveBackpressure(): Promise<void> {
    while (this.segments.bufferedRows > this.maxBufferedRows) {
      if (this.flusher.busy) {
        await this.flusher.settled()
        continue
      }
      // Rows held for a pending forced cut cannot be sealed before the cut's record arrives, and it
      // may be this very partition's next record: go on reading rather than wait for ever. At most
      // one replayed block per partition is held this way.
      if (!this.segments.hasSealed && !this.segments.sealLargest()) break
      await this.flusher.kick()
    }
  }

  private kickFlush(): void {
    this.flusher.kick().catch((error: unknown) => {
      this.options.logger.fatal({ err: errorMessage(error) }, 'flushing failed')
      this.options.onFatal(error)
    })
  }

  /** Learns the assignment changes that processors owning other assignment partitions wrote. */
  private async refreshOwnership(): Promise<void> {
    if (this.refreshing) return
    this.refreshing = true
    try {
      const since = Math.max(0, this.ownershipSince - OWNERSHIP_OVERLAP_MS)
      const loaded = await loadOwnership(this.options.client, this.options.sink.database, this.ownership, since)
      this.ownershipSince = Math.max(this.ownershipSince, loaded.newestIngestMs)
    } catch (error) {
      this.options.logger.warn({ err: errorMessage(error) }, 'reading IP assignments from ClickHouse failed; will retry')
    } finally {
      this.refreshing = false
    }
  }

  /**
   * As-of enrichment needs the assignment that explains a flow, which travels on another stream and
   * may arrive a little later. Flows therefore wait until they are `enrichHoldBackMs` old on the
   * stream (the source stops fetching that shard meanwhile). Positions are untouched by the wait, so
   * it costs freshness, not exactly-once.
   */
  private async holdBack(batch: SourceBatch): Promise<void> {
    const holdMs = this.options.processing.enrichHoldBackMs
    if (holdMs === 0) return
    const now = Date.now()
    const newest = Math.max(...batch.records.map((record) => record.streamTimeMs ?? now))
    const wait = newest + holdMs - now
    if (wait > 0) await sleep(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined)
  }

  private tick(): void {
    this.options.sinkMetrics.bufferedRows.set(this.segments.bufferedRows)
    const watermarks = [...this.records.clientPartitions.values()].map((state) => state.clock.watermark).filter(Number.isFinite)
    if (watermarks.length > 0) this.metrics.watermarkDelay.set(Math.max(0, (Date.now() - Math.min(...watermarks)) / 1000))
    if (this.segments.hasDue(Date.now())) this.kickFlush()
  }
}
