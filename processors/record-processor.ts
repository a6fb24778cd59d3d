// Turns one source record into the rows derived from it: unpack (KPL aggregation; for flows also
// flow log text and CloudWatch Logs subscription records, flow-log-input.ts), decode, validate
// (the kind's rules, then every value against its column's type), then the kind's own step. Every
// failure, an unexpected exception included, becomes a dead-letter row with the stage, reason and raw
// bytes, in the same block as the record's other rows: nothing is lost, and no record can stop the
// stream. A record is either accepted whole (raw row, aggregates, sessions) or dead-lettered whole.
import { deadLetterRow } from '../pipeline/dead-letter.ts'
import type { DerivedRow } from '../pipeline/rows.ts'
import type { SourceRecord } from '../pipeline/source.ts'
import { decode, type DecodeResult } from '../schemas/codec.ts'
import { confluentSchemaId } from '../schemas/confluent/wire.ts'
import type { WriterSchemas } from '../schemas/confluent/writer-schemas.ts'
import { columnProblem } from '../schemas/column-check.ts'
import { deaggregate } from '../schemas/kpl-aggregation.ts'
import { DEFAULT_FORMAT, type FlowLogFormat } from '../schemas/flow-log/format.ts'
import type { LineResult } from '../schemas/flow-log/line.ts'
import type { RecordKind, RecordKinds } from '../schemas/types.ts'
import { errorMessage } from '../runtime/errors.ts'
import type { ClientPartition } from './client-partition.ts'
import type { ClientPartitions } from './client-partitions.ts'
import type { IpOwnershipIndex } from './enrich/ip-ownership.ts'
import { readFlowInput } from './flow-log-input.ts'
import { handlerFor, type DeriveContext, type Derived } from './kinds.ts'
import type { ProcessorMetrics } from './metrics.ts'
import type { Provenance } from './rows.ts'

export interface RecordProcessorOptions {
  source: string
  kindOf: (stream: string) => RecordKind
  ownership: IpOwnershipIndex
  clientPartitions: ClientPartitions
  metrics: ProcessorMetrics
  /** Writer schemas of Confluent-framed records, prefetched per batch; unset without a schema registry. */
  writerSchemas?: WriterSchemas
  /** The format of flow log lines that come without a header (`--flow-log-format`); AWS's default when unset. */
  flowFormat?: FlowLogFormat
  now?: () => number
}

/**
 * The largest event (one client event, flow line or assignment) read. Pulse's largest legitimate
 * ones, a client event with a long search query or a v8 flow line with every ECS field, are ~2 KB;
 * 256 KiB leaves a hundredfold margin and stays below Kinesis's 1 MiB record, so an oversized
 * record is refused on either source rather than stored and aggregated.
 */
export const MAX_EVENT_BYTES = 256 * 1024
/** How much of an oversized event its dead letter keeps. */
export const OVERSIZED_KEPT_BYTES = 4096

type Decoded = { ok: true; record: RecordKinds[RecordKind] } | { ok: false; stage: string; reason: string; detail: string }

export class RecordProcessor {
  private readonly now: () => number
  private userRecords = 0

  constructor(private readonly options: RecordProcessorOptions) {
    this.now = options.now ?? Date.now
  }

  /** User records seen (a Kinesis record may pack many), dead letters and duplicates included. */
  get recordsProcessed(): number {
    return this.userRecords
  }

  /** `clientState`: the partition's client-event state when the caller holds it (once per batch); else it is looked up per valid event. */
  derive(stream: string, partition: string, record: SourceRecord, clientState?: ClientPartition): DerivedRow[] {
    const kind = this.options.kindOf(stream)
    const from: Provenance = { ingestTimeMs: this.now(), partition, position: record.position }
    if (record.tombstone === true) {
      this.userRecords++
      return [this.reject('decode', 'tombstone', 'Kafka tombstone (null value): no record to read', kind, stream, record.data, from)]
    }
    const unpacked = deaggregate(record.data)
    if (!unpacked.ok) {
      this.userRecords++
      return [this.reject('decode', unpacked.reason, unpacked.detail, kind, stream, record.data, from)]
    }
    const rows: DerivedRow[] = []
    // Every event of the source record gets its own index, so positions and dead letters point to it
    // and a replay rebuilds the same rows in the same order.
    let index = 0
    for (const user of unpacked.records) {
      for (const event of this.events(kind, user.data)) {
        this.userRecords++
        const at = index === 0 ? from : { ...from, index }
        index++
        rows.push(...this.isolated(kind, stream, event, at, clientState))
      }
    }
    return rows
  }

  /** A user record's events: itself, or for flows the lines or log events it carries. */
  private events(kind: RecordKind, bytes: Buffer): (Buffer | FlowLine | Rejected)[] {
    if (kind !== 'network_flow') return [bytes]
    const input = readFlowInput(bytes, this.options.flowFormat ?? DEFAULT_FORMAT)
    switch (input.kind) {
      case 'encoded':
        return [bytes]
      case 'control':
        this.options.metrics.skippedRecords.inc({ reason: 'control_message' })
        return []
      case 'rejected':
        return [{ rejected: input, raw: bytes }]
      case 'events':
        return input.events.map((event) => ({ line: event.parsed, raw: event.raw }))
    }
  }

  /**
   * One user record, fenced: whatever a step throws (a bug, a pathological value no check foresaw)
   * dead-letters this record instead of stopping its partition, and the stream goes on.
   */
  private isolated(kind: RecordKind, stream: string, event: Buffer | FlowLine | Rejected, from: Provenance, clientState: ClientPartition | undefined): DerivedRow[] {
    const bytes = Buffer.isBuffer(event) ? event : event.raw
    try {
      return this.deriveOne(kind, stream, event, from, clientState)
    } catch (error) {
      return [this.reject('process', 'internal_error', `${kind}: ${errorMessage(error)}`, kind, stream, bytes, from)]
    }
  }

  private decodeOne(kind: RecordKind, event: Buffer | FlowLine | Rejected): Decoded {
    if (!Buffer.isBuffer(event)) {
      if ('rejected' in event) return { ok: false, stage: 'decode', ...event.rejected }
      if (!event.line.ok) return { ok: false, stage: 'decode', reason: event.line.reason, detail: event.line.detail }
      return { ok: true, record: event.line.flow }
    }
    const decoded = this.decodeEncoded(kind, event)
    return decoded.ok ? { ok: true, record: decoded.value } : { ok: false, stage: 'decode', reason: decoded.reason, detail: decoded.detail }
  }

  private decodeEncoded(kind: RecordKind, bytes: Buffer): DecodeResult {
    const schemaId = confluentSchemaId(bytes)
    if (schemaId === undefined) return decode(kind, bytes)
    if (this.options.writerSchemas !== undefined) return this.options.writerSchemas.decode(kind, bytes)
    return { ok: false, reason: 'unknown_schema', detail: `Confluent-framed record (schema id ${schemaId}) and no schema registry is configured (--schema-registry-url)` }
  }

  private deriveOne(kind: RecordKind, stream: string, event: Buffer | FlowLine | Rejected, from: Provenance, clientState: ClientPartition | undefined): DerivedRow[] {
    const { metrics } = this.options
    const handler = handlerFor(kind)
    const bytes = Buffer.isBuffer(event) ? event : event.raw
    metrics.stageIn.inc({ stage: 'decode', kind })
    if (bytes.length > MAX_EVENT_BYTES) return [this.tooLarge(kind, stream, bytes, from)]
    const decoded = this.decodeOne(kind, event)
    if (!decoded.ok) return [this.reject(decoded.stage, decoded.reason, decoded.detail, kind, stream, bytes, from)]
    metrics.stageOut.inc({ stage: 'decode', kind })
    metrics.stageIn.inc({ stage: 'validate', kind })
    const record = decoded.record
    const verdict = handler.validate(record, from.ingestTimeMs)
    if (!verdict.ok) return [this.reject('validate', verdict.reason, verdict.detail, kind, stream, bytes, from)]
    const row = handler.row(record, from)
    const problem = columnProblem(handler.table, row)
    if (problem !== undefined) return [this.reject('validate', 'out_of_range', problem, kind, stream, bytes, from)]
    metrics.stageOut.inc({ stage: 'validate', kind })
    const state = handler.stateful ? (clientState ?? this.options.clientPartitions.get(stream, from.partition)) : undefined
    const context: DeriveContext = { stream, from, metrics, ownership: this.options.ownership, clientState: state }
    return this.rowsOf(handler.derive(record, row, context), kind, stream, bytes, from)
  }

  private rowsOf(derived: Derived, kind: RecordKind, stream: string, bytes: Buffer, from: Provenance): DerivedRow[] {
    if (derived.rejected === undefined) return derived.rows
    const { stage, reason, detail } = derived.rejected
    return [...derived.rows, this.reject(stage, reason, detail, kind, stream, bytes, from)]
  }

  /**
   * The dead letter of an oversized event keeps only its first OVERSIZED_KEPT_BYTES, enough to see
   * what it was: rows waiting for the sink are bounded by count (4 × batch rows), so a flood of 2 MB
   * records kept whole would hold gigabytes, and a replay of one would be refused again anyway.
   */
  private tooLarge(kind: RecordKind, stream: string, bytes: Buffer, from: Provenance): DerivedRow {
    const detail = `${bytes.length} bytes, more than the ${MAX_EVENT_BYTES} an event may have; raw_base64 keeps the first ${OVERSIZED_KEPT_BYTES}`
    return this.reject('decode', 'record_too_large', detail, kind, stream, bytes.subarray(0, OVERSIZED_KEPT_BYTES), from)
  }

  private reject(stage: string, reason: string, detail: string, kind: RecordKind, stream: string, raw: Buffer, from: Provenance): DerivedRow {
    this.options.metrics.deadLetters.inc({ stage, reason })
    const row = deadLetterRow({ stage, reason, detail, kind, source: this.options.source, stream }, raw, from)
    return { table: 'dead_letters', row }
  }
}

/** A flow log line read in its format, with its own bytes for a dead letter. */
interface FlowLine {
  line: LineResult
  raw: Buffer
}

/** A record refused before it yields events (a broken CloudWatch Logs envelope). */
interface Rejected {
  rejected: { reason: string; detail: string }
  raw: Buffer
}
