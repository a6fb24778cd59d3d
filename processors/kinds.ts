// One handler per record kind: its validation rules, the table of its own row and how that row is
// built, what else it derives (event-time state, enrichment), and what the processor must do around
// it (hold flows back for late assignments; rebuild client-event state on assignment). The table is
// typed by RecordKind, so a kind added to the schemas without a handler does not compile.
import type { DerivedRow, Row } from '../pipeline/rows.ts'
import type { TableName } from '../schemas/tables.ts'
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind, RecordKinds } from '../schemas/types.ts'
import type { ClientPartition } from './client-partition.ts'
import type { IpOwnershipIndex, Owner } from './enrich/ip-ownership.ts'
import type { ProcessorMetrics } from './metrics.ts'
import { clientEventRow, ipAssignmentRow, networkFlowRow, UNKNOWN_OWNER, type Provenance } from './rows.ts'
import { validateAssignment, validateClientEvent, validateFlow, type Verdict } from './validate.ts'

export interface DeriveContext {
  stream: string
  from: Provenance
  metrics: ProcessorMetrics
  ownership: IpOwnershipIndex
  /** The record's partition's event-time state, for the kinds that keep one (KindHandler.stateful). */
  clientState: ClientPartition | undefined
}

/** The rows a valid record yields, and a rejection when a later stage still refuses it. */
export interface Derived {
  rows: DerivedRow[]
  rejected?: { stage: string; reason: string; detail: string }
}

export interface KindHandler<K extends RecordKind> {
  /** Rules beyond the schema (plausible times, ids present); column ranges are checked on `row`. */
  validate(record: RecordKinds[K], nowMs: number): Verdict
  /** The table the record's own row goes to; its column types bound every value of that row. */
  table: TableName
  row(record: RecordKinds[K], from: Provenance): Row
  derive(record: RecordKinds[K], row: Row, context: DeriveContext): Derived
  /** Batches wait for the enrichment hold-back before processing (flows: assignments may lag). */
  holdsBack: boolean
  /** Partitions keep event-time state, rebuilt from the sink when assigned. */
  stateful: boolean
}

export type KindHandlers = { readonly [K in RecordKind]: KindHandler<K> }

export const KIND_HANDLERS: KindHandlers = {
  client_event: {
    validate: validateClientEvent,
    table: 'client_events',
    row: (event, from) => clientEventRow(event, from),
    derive: deriveClientEvent,
    holdsBack: false,
    stateful: true,
  },
  network_flow: {
    validate: validateFlow,
    table: 'network_flows',
    // Owners are filled in by derive(); the placeholders have the same types for the range check.
    row: (flow, from) => networkFlowRow(flow, UNKNOWN_OWNER, UNKNOWN_OWNER, from),
    derive: deriveFlow,
    holdsBack: true,
    stateful: false,
  },
  ip_assignment: {
    validate: validateAssignment,
    table: 'ip_assignments',
    row: (assignment, from) => ipAssignmentRow(assignment, from),
    derive: deriveAssignment,
    holdsBack: false,
    stateful: false,
  },
}

/** The kind's handler, seen through the union of records it accepts (decode has checked the kind). */
export function handlerFor(kind: RecordKind): KindHandler<RecordKind> {
  return KIND_HANDLERS[kind]
}

function deriveClientEvent(event: ClientEvent, row: Row, context: DeriveContext): Derived {
  const { metrics } = context
  metrics.stageIn.inc({ stage: 'window', kind: 'client_event' })
  const state = context.clientState
  if (state === undefined) throw new Error('a client event reached derive without its partition state')
  const outcome = state.process(event, (arrival) => {
    row.arrival = arrival
    return { table: 'client_events', row, eventTimeMs: event.event_time }
  })
  if (outcome.arrival === 'duplicate') {
    metrics.duplicates.inc()
    return { rows: [] }
  }
  metrics.stageOut.inc({ stage: 'window', kind: 'client_event' })
  if (outcome.arrival !== 'on_time') metrics.lateEvents.inc({ arrival: outcome.arrival })
  for (const derived of outcome.rows) countSessionOutcomes(derived, metrics)
  if (outcome.arrival !== 'too_late') return { rows: outcome.rows }
  const detail = `event_time ${new Date(event.event_time).toISOString()} is past its window's allowed lateness (watermark ${new Date(state.clock.watermark).toISOString()})`
  return { rows: outcome.rows, rejected: { stage: 'window', reason: 'too_late', detail } }
}

function countSessionOutcomes(derived: DerivedRow, metrics: ProcessorMetrics): void {
  if (derived.table === 'playback_sessions') metrics.sessionsEnded.inc({ exit_reason: String(derived.row.exit_reason) })
  else if (derived.table === 'care_actions') metrics.careActions.inc({ remedy: String(derived.row.remedy) })
}

function deriveFlow(flow: NetworkFlow, row: Row, context: DeriveContext): Derived {
  context.metrics.stageIn.inc({ stage: 'enrich', kind: 'network_flow' })
  const atMs = flow.start * 1000
  const source = ownerOf(flow.src_addr, atMs, 'src', context)
  const destination = ownerOf(flow.dst_addr, atMs, 'dst', context)
  row.src_app = source.app
  row.src_cluster = source.cluster
  row.src_region = source.region
  row.dst_app = destination.app
  row.dst_cluster = destination.cluster
  row.dst_region = destination.region
  context.metrics.stageOut.inc({ stage: 'enrich', kind: 'network_flow' })
  return { rows: [{ table: 'network_flows', row, eventTimeMs: flow.end * 1000 }] }
}

function ownerOf(address: string | null, atMs: number, side: 'src' | 'dst', context: DeriveContext): Owner {
  // NODATA and SKIPDATA records carry no addresses: there is nothing to attribute, nor to count.
  if (address === null) return UNKNOWN_OWNER
  const owner = context.ownership.ownerAt(address, atMs)
  if (owner !== undefined) return owner
  context.metrics.unknownIps.inc({ side })
  return UNKNOWN_OWNER
}

function deriveAssignment(assignment: IpAssignment, row: Row, context: DeriveContext): Derived {
  context.metrics.stageIn.inc({ stage: 'enrich', kind: 'ip_assignment' })
  if (context.ownership.apply(assignment) === 'invalid') return { rows: [], rejected: { stage: 'enrich', reason: 'bad_cidr', detail: assignment.cidr } }
  context.metrics.stageOut.inc({ stage: 'enrich', kind: 'ip_assignment' })
  return { rows: [{ table: 'ip_assignments', row, eventTimeMs: assignment.effective_time }] }
}
