// Moves sealed blocks into ClickHouse and only then commits their source positions. For each round:
// record the intent (partition, block range) in the checkpoint table, insert every table's rows with a
// token derived from (table, source, partition, range), then commit the range's end. A crash anywhere
// in between replays from the last commit, the intent forces the same cut, the tokens repeat, and
// ClickHouse drops what had already landed.
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Histogram } from 'prom-client'
import type { Checkpoint, CheckpointStore } from './checkpoint.ts'
import { deadLetterRow } from './dead-letter.ts'
import { partitionKey, splitKey, type TableRows } from './rows.ts'
import type { PartitionSegments, Segment } from './segments.ts'
import type { Block, RejectedRow, Sink } from './sink.ts'
import type { Source } from './source.ts'

export interface FlusherOptions {
  source: Source
  segments: PartitionSegments
  sink: Sink
  store: CheckpointStore
  /** Event time to acknowledged insert, by table. */
  freshness: Histogram<'table'>
  logger: Logger
  /** The record kind a stream carries, for the dead letters of rows the sink refuses. */
  kindOf: (stream: string) => string
  /** Send deduplication tokens and record intents; off only to demonstrate what they prevent. */
  dedup: boolean
}

export class Flusher {
  private readonly committed = new Map<string, { position: string | undefined; state: string }>()
  private running: Promise<void> = Promise.resolve()
  private kickQueued = false
  /** Flushes started and not yet finished. */
  private pending = 0

  constructor(private readonly options: FlusherOptions) {}

  /**
   * Learns a partition's checkpoint when it is assigned and re-arms its pending cut. A pending
   * snapshot is not a cut: its rows describe state at the committed position, and the processor
   * re-derives them under the same label (StreamProcessor.assign), so the token repeats.
   */
  adopt(checkpoint: Checkpoint): void {
    const key = partitionKey(checkpoint.stream, checkpoint.partition)
    this.committed.set(key, { position: checkpoint.position, state: checkpoint.state })
    if (checkpoint.pending?.snapshot !== undefined) {
      this.options.logger.info({ partition: key, pending: checkpoint.pending }, 'an unconfirmed snapshot block is derived again with its recorded label')
    } else if (checkpoint.pending !== undefined && this.options.dedup) {
      this.options.segments.forceCut(key, checkpoint.pending.to)
      this.options.logger.info({ partition: key, pending: checkpoint.pending }, 'replaying an unconfirmed block with its recorded range')
    }
  }

  /** Resolves once the flush under way (if any) has finished, whether it succeeded or not. */
  settled(): Promise<void> {
    return this.running.then(
      () => undefined,
      () => undefined,
    )
  }

  /** Flushes what is due (or everything); calls are serialised so blocks of a partition stay in order. */
  flush(all = false): Promise<void> {
    this.running = this.running.then(() => this.flushNow(all))
    return this.running
  }

  /**
   * Flushes what is due once the flush under way (if any) is done, unless such a flush is already
   * queued: callers that only want blocks moving (every tick, every sealed block) queue one at most,
   * so inserting goes on while records are processed instead of after them.
   */
  kick(): Promise<void> {
    if (this.kickQueued) return this.running
    this.kickQueued = true
    this.running = this.running.then(() => {
      this.kickQueued = false
      return this.flushNow(false)
    })
    return this.running
  }

  /** True while a flush runs (one queued behind it starts as it ends). */
  get busy(): boolean {
    return this.pending > 0
  }

  private async flushNow(all: boolean): Promise<void> {
    const sealed = this.options.segments.takeSealed(Date.now(), all)
    this.pending++
    try {
      // One block per partition per round: a recorded intent names exactly one range.
      for (const round of rounds(sealed)) await this.flushRound(round)
    } finally {
      this.pending--
    }
  }

  private async flushRound(segments: Segment[]): Promise<void> {
    const { store, source, dedup } = this.options
    if (dedup) {
      const intents = segments.map((segment) => {
        const committed = this.committed.get(segment.partition)
        return this.checkpoint(segment, committed?.position, committed?.state ?? '', segment)
      })
      await this.options.sink.retrying('checkpoints', () => store.write(intents))
    }
    await Promise.all(segments.map((segment) => this.insertSegment(segment)))
    const commits = segments.map((segment) => this.checkpoint(segment, segment.to, stateText(segment), undefined))
    await this.options.sink.retrying('checkpoints', () => store.write(commits))
    for (const segment of segments) this.committed.set(segment.partition, { position: segment.to, state: stateText(segment) })
    // Partitions of one round are independent: their source commits go out together.
    await Promise.all(
      segments.map(async (segment) => {
        const { stream, partition } = splitKey(segment.partition)
        await source.commit(stream, partition, segment.to)
        this.options.segments.release(segment)
      }),
    )
  }

  private async insertSegment(segment: Segment): Promise<void> {
    const blocks: Block[] = []
    for (const [table, content] of segment.tables) blocks.push(...tableBlocks(table, content, this.token(table, segment)))
    for (const [table, sum] of segment.sums) {
      const rows = sum.rows()
      if (rows.length > 0) blocks.push({ table, rows, token: this.token(table, segment) })
    }
    const rejected = await Promise.all(blocks.map((block) => this.options.sink.write(block)))
    const refused = rejected.flat()
    if (refused.length > 0) await this.deadLetterRefused(segment, refused)
    this.observeFreshness(segment)
  }

  /**
   * The last resort for rows validation let through and the database still refused: they go to
   * dead_letters like any other stage's rejects (the raw bytes are the refused row as JSON, since
   * the record's bytes are gone by now).
   */
  private async deadLetterRefused(segment: Segment, refused: RejectedRow[]): Promise<void> {
    this.options.logger.warn({ partition: segment.partition, rows: refused.length }, 'ClickHouse refused rows; sending them to dead_letters')
    const { stream, partition } = splitKey(segment.partition)
    const rejection = { stage: 'sink', reason: 'sink_rejected', kind: this.options.kindOf(stream), source: this.options.source.name, stream }
    const ingestTimeMs = Date.now()
    const rows = refused.map((refusal) => {
      const position = typeof refusal.row?.source_position === 'string' ? refusal.row.source_position : segment.to
      // A row refused as encoded bytes keeps them (the row as the sink sent it), named in the detail.
      const raw = refusal.encoded?.bytes ?? Buffer.from(JSON.stringify(refusal.row))
      const format = refusal.encoded === undefined ? '' : ` (raw_base64: the row as ${refusal.encoded.format})`
      return deadLetterRow({ ...rejection, detail: `${refusal.table}: ${refusal.error}${format}` }, raw, { ingestTimeMs, partition, position })
    })
    const token = this.token('dead_letters', segment)
    await this.options.sink.write({ table: 'dead_letters', rows, token: token === undefined ? undefined : `${token}/refused` })
  }

  private observeFreshness(segment: Segment): void {
    const now = Date.now()
    for (const [table, content] of segment.tables) {
      const histogram = this.options.freshness
      for (const eventTime of content.eventTimesMs) histogram.observe({ table }, Math.max(0, (now - eventTime) / 1000))
    }
  }

  private token(table: string, segment: Segment): string | undefined {
    if (!this.options.dedup) return undefined
    // A snapshot block covers no records, so its range alone could equal a one-record block's.
    const kind = segment.snapshot === undefined ? '' : `|${segment.snapshot}`
    const identity = `${table}|${this.options.source.name}|${segment.partition}|${segment.from}|${segment.to}${kind}`
    return createHash('sha256').update(identity).digest('hex').slice(0, 40)
  }

  private checkpoint(segment: Segment, position: string | undefined, state: string, pending: Segment | undefined): Checkpoint {
    const { stream, partition } = splitKey(segment.partition)
    return {
      source: this.options.source.name,
      stream,
      partition,
      position,
      pending: pending === undefined ? undefined : { from: pending.from, to: pending.to, ...(pending.snapshot === undefined ? {} : { snapshot: pending.snapshot }) },
      state,
    }
  }
}

/**
 * A table's rows of one segment as blocks: the encoded ones, and those kept as objects (rows the
 * buffer could not encode, or all of them for a table without a buffer). When both exist the objects' block gets a token of its own;
 * a replay splits the same rows the same way, so each token still names the same rows.
 */
function tableBlocks(table: string, content: TableRows, token: string | undefined): Block[] {
  const blocks: Block[] = []
  const encoded = content.buffer !== undefined && content.buffer.rows > 0 ? content.buffer.finish() : undefined
  if (encoded !== undefined) blocks.push({ table, rows: [], token, encoded })
  if (content.rows.length > 0) blocks.push({ table, rows: content.rows, token: encoded === undefined || token === undefined ? token : `${token}/rows` })
  return blocks
}

function stateText(segment: Segment): string {
  return segment.state === undefined ? '' : JSON.stringify(segment.state)
}

function rounds(sealed: readonly Segment[]): Segment[][] {
  const result: Segment[][] = []
  const depth = new Map<string, number>()
  for (const segment of sealed) {
    const index = depth.get(segment.partition) ?? 0
    depth.set(segment.partition, index + 1)
    ;(result[index] ??= []).push(segment)
  }
  return result
}
