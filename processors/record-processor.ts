// Turns one source record into the rows derived from it: unpack (KPL aggregation), decode, validate
// (the kind's rules, then every value against its column's type), then the kind's own step. Every
// failure, an unexpected exception included, becomes a dead-letter row with the stage, reason and raw
// bytes, in the same block as the record's other rows: nothing is lost, and no record can stop the
// stream. A record is either accepted whole (raw row, aggregates, sessions) or dead-lettered whole.
import { deadLetterRow } from '../pipeline/dead-letter.ts'
import type { DerivedRow } from '../pipeline/rows.ts'
import type { SourceRecord } from '../pipeline/source.ts'
import { decode } from '../schemas/codec.ts'
import { columnProblem } from '../schemas/column-check.ts'
import { deaggregate } from '../schemas/kpl-aggregation.ts'
import type { RecordKind } from '../schemas/types.ts'
import { errorMessage } from '../runtime/errors.ts'
import type { ClientPartitions } from './client-partitions.ts'
import type { IpOwnershipIndex } from './enrich/ip-ownership.ts'
import { handlerFor, type DeriveContext, type Derived } from './kinds.ts'
import type { ProcessorMetrics } from './metrics.ts'
import type { Provenance } from './rows.ts'

export interface RecordProcessorOptions {
  source: string
  kindOf: (stream: string) => RecordKind
  ownership: IpOwnershipIndex
  clientPartitions: ClientPartitions
  metrics: ProcessorMetrics
  now?: () => number
}

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

  derive(stream: string, partition: string, record: SourceRecord): DerivedRow[] {
    const kind = this.options.kindOf(stream)
    const from: Provenance = { ingestTimeMs: this.now(), partition, position: record.position }
    const unpacked = deaggregate(record.data)
    if (!unpacked.ok) {
      this.userRecords++
      return [this.reject('decode', unpacked.reason, unpacked.detail, kind, stream, record.data, from)]
    }
    const rows: DerivedRow[] = []
    for (const [index, user] of unpacked.records.entries()) {
      this.userRecords++
      const at = index === 0 ? from : { ...from, index }
      rows.push(...this.isolated(kind, stream, user.data, at))
    }
    return rows
  }

  /**
   * One user record, fenced: whatever a step throws (a bug, a pathological value no check foresaw)
   * dead-letters this record instead of stopping its partition, and the stream goes on.
   */
  private isolated(kind: RecordKind, stream: string, bytes: Buffer, from: Provenance): DerivedRow[] {
    try {
      return this.deriveOne(kind, stream, bytes, from)
    } catch (error) {
      return [this.reject('process', 'internal_error', `${kind}: ${errorMessage(error)}`, kind, stream, bytes, from)]
    }
  }

  private deriveOne(kind: RecordKind, stream: string, bytes: Buffer, from: Provenance): DerivedRow[] {
    const { metrics } = this.options
    const handler = handlerFor(kind)
    metrics.stageIn.inc({ stage: 'decode', kind })
    const decoded = decode(kind, bytes)
    if (!decoded.ok) return [this.reject('decode', decoded.reason, decoded.detail, kind, stream, bytes, from)]
    metrics.stageOut.inc({ stage: 'decode', kind })
    metrics.stageIn.inc({ stage: 'validate', kind })
    const record = decoded.value
    const verdict = handler.validate(record, from.ingestTimeMs)
    if (!verdict.ok) return [this.reject('validate', verdict.reason, verdict.detail, kind, stream, bytes, from)]
    const row = handler.row(record, from)
    const problem = columnProblem(handler.table, row)
    if (problem !== undefined) return [this.reject('validate', 'out_of_range', problem, kind, stream, bytes, from)]
    metrics.stageOut.inc({ stage: 'validate', kind })
    const context: DeriveContext = { stream, from, metrics, ownership: this.options.ownership, clientPartitions: this.options.clientPartitions }
    return this.rowsOf(handler.derive(record, row, context), kind, stream, bytes, from)
  }

  private rowsOf(derived: Derived, kind: RecordKind, stream: string, bytes: Buffer, from: Provenance): DerivedRow[] {
    if (derived.rejected === undefined) return derived.rows
    const { stage, reason, detail } = derived.rejected
    return [...derived.rows, this.reject(stage, reason, detail, kind, stream, bytes, from)]
  }

  private reject(stage: string, reason: string, detail: string, kind: RecordKind, stream: string, raw: Buffer, from: Provenance): DerivedRow {
    this.options.metrics.deadLetters.inc({ stage, reason })
    const row = deadLetterRow({ stage, reason, detail, kind, source: this.options.source, stream }, raw, from)
    return { table: 'dead_letters', row }
  }
}
