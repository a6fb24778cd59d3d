// The processing role, as orchestration only: a source's batches go through the record processor
// into per-partition segments; a tick seals what is due and the flusher (pipeline/flusher.ts, the
// commit protocol) writes it. When too many rows wait for the sink, the batch handler waits too, so
// the source stops fetching: memory stays bounded and nothing is dropped. Any failure that is not
// one record's (those become dead letters) is fatal: it goes to onFatal, and the process stops.
import type { Logger } from 'pino'
import type { Gauge, Histogram, Registry } from 'prom-client'
import type { Checkpoint, CheckpointStore } from '../pipeline/checkpoint.ts'
import { Flusher } from '../pipeline/flusher.ts'
import { partitionKey } from '../pipeline/rows.ts'
import { PartitionSegments } from '../pipeline/segments.ts'
import type { Sink } from '../pipeline/sink.ts'
import type { BatchOutcome, Lineage, Source, SourceBatch } from '../pipeline/source.ts'
import type { StateStore } from '../pipeline/state.ts'
import type { WriterSchemas } from '../schemas/confluent/writer-schemas.ts'
import type { FlowLogFormat } from '../schemas/flow-log/format.ts'
import { deaggregate } from '../schemas/kpl-aggregation.ts'
import type { RecordKind } from '../schemas/types.ts'
import { errorMessage } from '../runtime/errors.ts'
import { TurnBudget } from '../runtime/turns.ts'
import type { ClientProcessingSettings } from './client-partition.ts'
import { ClientPartitions, IDLE_SNAPSHOT, SHUTDOWN_SNAPSHOT } from './client-partitions.ts'
import { Enrichment } from './enrich/enrichment.ts'
import { AssignmentFrontier } from './enrich/frontier.ts'
import { KIND_HANDLERS } from './kinds.ts'
import { createProcessorMetrics, type ProcessorMetrics } from './metrics.ts'
import { RecordProcessor } from './record-processor.ts'
import { DEFAULT_ROLLUPS } from './rollups.ts'

/**
 * The longest a block of a partition that is catching up waits to fill before it is sealed anyway
 * (PartitionSegments.noteBacklog): its rows are seconds old already, and a block sealed on the
 * flush interval there holds a fraction of batchRows.
 */
const BACKLOG_FLUSH_INTERVAL_MS = 5_000

export interface StreamProcessorOptions {
  source: Source
  sink: Sink
  checkpoints: CheckpointStore
  /** Where state is read back from (the sink's tables). */
  state: StateStore
  kindOf: (stream: string) => RecordKind
  /** The IP assignment stream flows wait to be read up to (processors/enrich/frontier.ts); unset: the hold-back only. */
  assignmentStream?: string
  /** Format of flow log lines without a header line (`--flow-log-format`); AWS's default when unset. */
  flowFormat?: FlowLogFormat
  /** Writer schemas from the schema registry, for Confluent-framed records; unset without one. */
  writerSchemas?: WriterSchemas
  registry: Registry
  logger: Logger
  batchRows: number
  flushIntervalMs: number
  dedup: boolean
  processing: ClientProcessingSettings
  /** Shared with the sink: event time to acknowledged row, and rows waiting. */
  freshness: Histogram<'table'>
  bufferedRows: Gauge
  /** Rows that may wait for the sink before the source is paused. */
  maxBufferedRows?: number
  /** Input bytes whose rows may wait for the sink before the source is paused (large records). */
  maxBufferedBytes?: number
  /** Called once the pipeline cannot go on (flushing failed for good, the source stopped); the process should stop. */
  onFatal: (error: unknown) => void
}

const TICK_MS = 100
/** Longest stretch a batch is processed without letting timers (lease renewals, heartbeats) run. */
const SLICE_MS = 50
/** How often quiet partitions are looked at (their sessions time out by the second anyway). */
const IDLE_CHECK_MS = 1000

export class StreamProcessor {
  readonly metrics: ProcessorMetrics
  private readonly segments: PartitionSegments
  private readonly flusher: Flusher
  private readonly records: RecordProcessor
  private readonly enrichment: Enrichment
  private readonly clientPartitions: ClientPartitions
  private readonly maxBufferedRows: number
  private readonly maxBufferedBytes: number
  /** Bytes of batches let in and still being processed (their rows are not all in the segments yet). */
  private admittedBytes = 0
  private ticker: NodeJS.Timeout | undefined
  private failed = false
  private nextIdleCheck = 0
  /** Aborts waits on outside services (the schema registry) when the processor stops. */
  private readonly stopping = new AbortController()

  constructor(private readonly options: StreamProcessorOptions) {
    this.metrics = createProcessorMetrics(options.registry)
    this.metrics.holdBack.set(options.processing.enrichHoldBackMs / 1000)
    const { sink } = options
    this.segments = new PartitionSegments({
      batchRows: options.batchRows,
      flushIntervalMs: options.flushIntervalMs,
      backlogFlushIntervalMs: Math.max(options.flushIntervalMs, BACKLOG_FLUSH_INTERVAL_MS),
      // Rows wait for their insert as the sink's bytes; the rollups sum them as they enter.
      rowBuffer: (table) => sink.rowBuffer?.(table),
      rollups: options.processing.derived === false ? [] : DEFAULT_ROLLUPS,
    })
    this.maxBufferedRows = options.maxBufferedRows ?? options.batchRows * 4
    this.maxBufferedBytes = options.maxBufferedBytes ?? Number.POSITIVE_INFINITY
    this.flusher = new Flusher({
      source: options.source,
      segments: this.segments,
      sink: options.sink,
      store: options.checkpoints,
      freshness: options.freshness,
      logger: options.logger.child({ component: 'flusher' }),
      dedup: options.dedup,
      kindOf: options.kindOf,
    })
    const frontier = options.assignmentStream === undefined ? undefined : new AssignmentFrontier({ stream: options.assignmentStream, source: options.source, checkpoints: options.checkpoints })
    this.enrichment = new Enrichment({
      store: options.state,
      holdBackMs: options.processing.enrichHoldBackMs,
      logger: options.logger,
      ...(frontier === undefined ? {} : { frontier, frontierWaits: this.metrics.frontierWaits }),
    })
    this.clientPartitions = new ClientPartitions(options.processing, options.state, options.logger)
    this.records = new RecordProcessor({
      source: options.source.name,
      kindOf: options.kindOf,
      ownership: this.enrichment.ownership,
      clientPartitions: this.clientPartitions,
      metrics: this.metrics,
      ...(options.flowFormat === undefined ? {} : { flowFormat: options.flowFormat }),
      ...(options.writerSchemas === undefined ? {} : { writerSchemas: options.writerSchemas }),
    })
  }

  /** User records processed since start, dead letters included (for the status line). */
  get recordsProcessed(): number {
    return this.records.recordsProcessed
  }

  get bufferedRows(): number {
    return this.segments.bufferedRows
  }

  /** Input bytes behind the rows held (the memory bound's measure). */
  get bufferedBytes(): number {
    return this.segments.bufferedBytes
  }

  async start(): Promise<void> {
    await this.enrichment.start()
    this.ticker = setInterval(() => this.tick(), TICK_MS)
    await this.options.source.start((batch) => this.handle(batch), {
      onAssigned: (stream, partition, checkpoint, lineage) => this.assign(stream, partition, checkpoint, lineage),
      onRevoked: (stream, partition) => this.revoke(stream, partition),
      onFailed: (error) => this.fail(error),
    })
  }

  /** Stops reading and ticking without flushing, as a crash would: what is not committed is replayed
   *  by the next processor. Used after a fatal error, when flushing again cannot be trusted. A flush
   *  a tick had already started is waited for (never a new one), so nothing is written once this
   *  resolves: a successor then reads checkpoints that this processor no longer moves. */
  async abandon(): Promise<void> {
    this.stopping.abort()
    this.stopTimers()
    await this.options.source.stop()
    await this.flusher.settled()
  }

  /** Stops reading, writes the open windows and sessions as they stand, then flushes and commits everything. */
  async stop(): Promise<void> {
    this.stopping.abort()
    this.enrichment.stop()
    await this.options.source.stop()
    this.stopTimers()
    for (const key of [...this.clientPartitions.keys()]) this.writeOpenState(key)
    await this.flusher.flush(true)
  }

  private stopTimers(): void {
    this.enrichment.stop()
    if (this.ticker !== undefined) clearInterval(this.ticker)
  }

  /** The pipeline cannot go on: reported once, and the caller stops the process. */
  private fail(error: unknown): void {
    if (this.failed) return
    this.failed = true
    this.options.logger.fatal({ err: errorMessage(error) }, 'processing stopped')
    this.options.onFatal(error)
  }

  /** Appends a partition's open windows and sessions as they stand, at the last position read from it. */
  private writeOpenState(key: string): void {
    const open = this.clientPartitions.shutdownSnapshot(key)
    if (open !== undefined) this.segments.appendSnapshot(key, open.position, open.rows, Date.now(), open.state, SHUTDOWN_SNAPSHOT)
  }

  /**
   * A partition arrives: re-arm its pending block and rebuild its event-time state from the sink. A
   * snapshot block that may have landed (open windows on shutdown, windows an idle sweep closed) is
   * derived again from the rebuilt state under its recorded label, before any record: per-minute rows
   * are additive, so it must repeat with the same token, not be re-derived later under another.
   */
  private async assign(stream: string, partition: string, checkpoint: Checkpoint | undefined, lineage?: Lineage): Promise<void> {
    const stateful = KIND_HANDLERS[this.options.kindOf(stream)].stateful
    // A child shard never read yet still carries on its parents' sessions.
    if (checkpoint === undefined) {
      if (stateful && lineage !== undefined) await this.clientPartitions.assign(stream, partition, undefined, lineage)
      return
    }
    this.flusher.adopt(checkpoint)
    if (!stateful) return
    await this.clientPartitions.assign(stream, partition, checkpoint, lineage)
    const label = checkpoint.pending?.snapshot
    const key = partitionKey(stream, partition)
    const again = label === undefined || !this.options.dedup ? undefined : this.clientPartitions.snapshotAgain(key, label)
    if (again !== undefined) this.segments.appendSnapshot(key, again.position, again.rows, Date.now(), again.state, label)
  }

  /**
   * Given up as on stop: open windows and sessions written, everything flushed and committed; its
   * state is set aside, to be taken up again if the partition comes back at that checkpoint.
   */
  private async revoke(stream: string, partition: string): Promise<void> {
    const key = partitionKey(stream, partition)
    this.writeOpenState(key)
    await this.flusher.flush(true)
    this.segments.dropPartition(key)
    this.clientPartitions.release(key)
  }

  private async handle(batch: SourceBatch): Promise<BatchOutcome> {
    try {
      // Room is made before a batch is taken, not only after: sources hand over batches of several
      // partitions at once, and each would otherwise land on top of a full buffer.
      // Flows wait for their assignments before they take any room: the assignment batches they wait
      // for must still get in.
      if (KIND_HANDLERS[this.options.kindOf(batch.stream)].holdsBack && !(await this.enrichment.holdBack(batch))) return 'withdrawn'
      const bytes = inputBytes(batch)
      await this.admit(bytes)
      try {
        await this.process(batch)
      } finally {
        this.admittedBytes -= bytes
      }
      await this.relieveBackpressure(0)
      return 'taken'
    } catch (error) {
      this.fail(error)
      throw error
    }
  }

  private async process(batch: SourceBatch): Promise<void> {
    const handler = KIND_HANDLERS[this.options.kindOf(batch.stream)]
    // While the registry is down the batch waits here, and the source with it: nothing is dead-lettered for it.
    await this.options.writerSchemas?.prefetch(userRecords(batch), this.stopping.signal)
    const key = partitionKey(batch.stream, batch.partition)
    this.segments.noteBacklog(key, batch.behind, batch.records.length)
    const clientState = handler.stateful ? this.clientPartitions.get(batch.stream, batch.partition) : undefined
    const budget = new TurnBudget(SLICE_MS)
    for (const record of batch.records) {
      const rows = this.records.derive(batch.stream, batch.partition, record, clientState)
      const state = clientState?.checkpointState()
      this.segments.append(key, record.position, rows, Date.now(), state, record.data.byteLength)
      if (!budget.due()) continue
      // What is appended is processed: a snapshot taken during the turn (a tick, a revocation) starts here.
      this.clientPartitions.processedUpTo(key, record.position)
      if (this.segments.hasSealed) this.kickFlush()
      await budget.turn()
    }
    const last = batch.records[batch.records.length - 1]
    if (last !== undefined) this.clientPartitions.processedUpTo(key, last.position)
    // A sealed block starts on its way now, not at the next tick, and records go on being processed
    // while it is inserted.
    if (this.segments.hasSealed) this.kickFlush()
  }

  /**
   * Backpressure: the source waits for this, so it fetches nothing more until the sink catches up.
   * It waits for the blocks already on their way; when none are (every partition's block is still
   * open and together they hold too much), it seals the largest and sends that.
   */
  private async relieveBackpressure(incomingBytes: number): Promise<boolean> {
    while (this.overBudget(incomingBytes)) {
      if (this.flusher.busy) {
        await this.flusher.settled()
        continue
      }
      // Rows held for a pending forced cut cannot be sealed before the cut's record arrives, and it
      // may be this very partition's next record: go on reading rather than wait for ever. At most
      // one replayed block per partition is held this way.
      if (!this.segments.hasSealed && !this.segments.sealLargest()) return false
      await this.flusher.kick()
    }
    return true
  }

  /**
   * Waits for room, then counts the batch in before returning: the count is taken in the same turn
   * as the last check, since another partition's batch may be let in between two awaits.
   */
  private async admit(bytes: number): Promise<void> {
    while (this.overBudget(bytes) && (await this.relieveBackpressure(bytes)));
    this.admittedBytes += bytes
  }

  /** Too many rows held, or the incoming bytes would pass the byte budget (a batch alone may). */
  private overBudget(incomingBytes: number): boolean {
    const held = this.segments.bufferedBytes + this.admittedBytes
    return this.segments.bufferedRows > this.maxBufferedRows || (held > 0 && held + incomingBytes > this.maxBufferedBytes)
  }

  private kickFlush(): void {
    this.flusher.kick().catch((error: unknown) => this.fail(error))
  }

  private tick(): void {
    this.options.bufferedRows.set(this.segments.bufferedRows)
    const watermarks = this.clientPartitions.watermarks()
    if (watermarks.length > 0) this.metrics.watermarkDelay.set(Math.max(0, (Date.now() - Math.min(...watermarks)) / 1000))
    const now = Date.now()
    this.clientPartitions.expireRetained(now)
    if (now >= this.nextIdleCheck) this.sweepIdle(now)
    if (this.segments.hasDue(now)) this.kickFlush()
  }

  /**
   * Quiet partitions' watermarks follow the clock, so the sessions they hold end without a new event.
   * Those rows describe state, not records: each sweep is a block of its own at the last position,
   * labelled with the sweep's time (replayed differently after a crash, they land in tables that keep
   * the latest row per session).
   */
  private sweepIdle(now: number): void {
    this.nextIdleCheck = now + IDLE_CHECK_MS
    for (const sweep of this.clientPartitions.idleSweeps(now)) {
      this.segments.appendSnapshot(sweep.key, sweep.position, sweep.rows, now, sweep.state, `${IDLE_SNAPSHOT}${now}`)
    }
  }
}

/** The user records of a batch (KPL aggregates unpacked), to find the schema ids they name. */
function* userRecords(batch: SourceBatch): Generator<Buffer> {
  for (const record of batch.records) {
    const unpacked = deaggregate(record.data)
    if (unpacked.ok) for (const user of unpacked.records) yield user.data
  }
}

function inputBytes(batch: SourceBatch): number {
  let bytes = 0
  for (const record of batch.records) bytes += record.data.byteLength
  return bytes
}
