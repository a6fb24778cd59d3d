// Turns one source record into the rows derived from it: unpack (KPL aggregation), decode, validate,
// enrich. Every failure becomes a dead-letter row with the stage and reason and the raw bytes, in the
// same block as the record's other rows, so nothing is lost and one bad record never stops the stream.
import { decode } from '../schemas/codec.ts'
import { deaggregate } from '../schemas/kpl-aggregation.ts'
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind } from '../schemas/types.ts'
import type { DerivedRow } from '../sinks/clickhouse/segments.ts'
import type { IpOwnershipIndex } from './enrich/ip-ownership.ts'
import type { ProcessorMetrics } from './metrics.ts'
import { clientEventRow, deadLetterRow, ipAssignmentRow, networkFlowRow, UNKNOWN_OWNER, type Provenance } from './rows.ts'
import type { SourceRecord } from './source/types.ts'
import { validateRecord } from './validate.ts'
import { ClientPartition, type ClientProcessingSettings } from './client-partition.ts'

export interface RecordProcessorOptions {
  source: string
  kindOf: (stream: string) => RecordKind
  ownership: IpOwnershipIndex
  metrics: ProcessorMetrics
  processing: ClientProcessingSettings
  now?: () => number
}

export class RecordProcessor {
  private readonly now: () => number
  /** Event-time state of client events, per source partition (stream/partition). */
  readonly clientPartitions = new Map<string, ClientPartition>()
  private userRecords = 0

  constructor(private readonly options: RecordProcessorOptions) {
    this.now = options.now ?? Date.now
  }

  /** User records seen (a Kinesis record may pack many), dead letters and duplicates included. */
  get recordsProcessed(): number {
    return this.userRecords
  }

  /** The client-event state of a partition, created empty or as restored. */
  clientPartition(stream: string, partition: string, highestEventTime?: number): ClientPartition {
    const key = `${stream}/${partition}`
    let state = this.clientPartitions.get(key)
    if (state === undefined) {
      state = new ClientPartition(this.options.processing, highestEventTime)
      this.clientPartitions.set(key, state)
    }
    return state
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
      rows.push(...this.deriveOne(kind, stream, user.data, index === 0 ? from : { ...from, index }))
    }
    return rows
  }

  private deriveOne(kind: RecordKind, stream: string, bytes: Buffer, from: Provenance): DerivedRow[] {
    const { metrics } = this.options
    metrics.stageIn.inc({ stage: 'decode', kind })
    const decoded = decode(kind, bytes)
    if (!decoded.ok) return [this.reject('decode', decoded.reason, decoded.detail, kind, stream, bytes, from)]
    metrics.stageOut.inc({ stage: 'decode', kind })
    metrics.stageIn.inc({ stage: 'validate', kind })
    const verdict = validateRecord(kind, decoded.value, from.ingestTimeMs)
    if (!verdict.ok) return [this.reject('validate', verdict.reason, verdict.detail, kind, stream, bytes, from)]
    metrics.stageOut.inc({ stage: 'validate', kind })
    if (kind === 'client_event') return this.clientEvent(decoded.value as ClientEvent, stream, bytes, from)
    return [this.enrich(kind, decoded.value, stream, bytes, from)]
  }

  private clientEvent(event: ClientEvent, stream: string, bytes: Buffer, from: Provenance): DerivedRow[] {
    const { metrics } = this.options
    metrics.stageIn.inc({ stage: 'window', kind: 'client_event' })
    const state = this.clientPartition(stream, from.partition)
    const outcome = state.process(event, (arrival) => ({ table: 'client_events', row: clientEventRow(event, from, arrival), eventTimeMs: event.event_time }))
    if (outcome.arrival === 'duplicate') {
      metrics.duplicates.inc()
      return []
    }
    metrics.stageOut.inc({ stage: 'window', kind: 'client_event' })
    if (outcome.arrival !== 'on_time') metrics.lateEvents.inc({ arrival: outcome.arrival })
    for (const derived of outcome.rows) this.countSessionOutcomes(derived)
    if (outcome.arrival !== 'too_late') return outcome.rows
    const detail = `event_time ${new Date(event.event_time).toISOString()} is past its window's allowed lateness (watermark ${new Date(state.clock.watermark).toISOString()})`
    return [...outcome.rows, this.reject('window', 'too_late', detail, 'client_event', stream, bytes, from)]
  }

  private countSessionOutcomes(derived: DerivedRow): void {
    if (derived.table === 'playback_sessions') this.options.metrics.sessionsEnded.inc({ exit_reason: String(derived.row.exit_reason) })
    else if (derived.table === 'care_actions') this.options.metrics.careActions.inc({ remedy: String(derived.row.remedy) })
  }

  private enrich(kind: RecordKind, value: unknown, stream: string, bytes: Buffer, from: Provenance): DerivedRow {
    const { metrics, ownership } = this.options
    metrics.stageIn.inc({ stage: 'enrich', kind })
    let derived: DerivedRow
    if (kind === 'network_flow') {
      const flow = value as NetworkFlow
      derived = { table: 'network_flows', row: this.flowRow(flow, from), eventTimeMs: flow.end * 1000 }
    } else {
      const assignment = value as IpAssignment
      if (ownership.apply(assignment) === 'invalid') return this.reject('enrich', 'bad_cidr', assignment.cidr, kind, stream, bytes, from)
      derived = { table: 'ip_assignments', row: ipAssignmentRow(assignment, from), eventTimeMs: assignment.effective_time }
    }
    metrics.stageOut.inc({ stage: 'enrich', kind })
    return derived
  }

  private flowRow(flow: NetworkFlow, from: Provenance): DerivedRow['row'] {
    const atMs = flow.start * 1000
    const source = this.owner(flow.src_addr, atMs, 'src')
    const destination = this.owner(flow.dst_addr, atMs, 'dst')
    return networkFlowRow(flow, source, destination, from)
  }

  private owner(address: string | null, atMs: number, side: 'src' | 'dst'): typeof UNKNOWN_OWNER {
    // NODATA and SKIPDATA records carry no addresses: there is nothing to attribute, nor to count.
    if (address === null) return UNKNOWN_OWNER
    const owner = this.options.ownership.ownerAt(address, atMs)
    if (owner !== undefined) return owner
    this.options.metrics.unknownIps.inc({ side })
    return UNKNOWN_OWNER
  }

  private reject(stage: string, reason: string, detail: string, kind: RecordKind, stream: string, raw: Buffer, from: Provenance): DerivedRow {
    this.options.metrics.deadLetters.inc({ stage, reason })
    const row = deadLetterRow({ stage, reason, detail, kind, source: this.options.source, stream }, raw, from)
    return { table: 'dead_letters', row }
  }
}
