// Checks a decoded record makes sense beyond its schema: times in a plausible range, ids present,
// flow intervals in order. A failed check names the rule, which becomes the dead letter's reason.
import { isIP } from 'node:net'
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind, RecordKinds } from '../schemas/types.ts'
import { parseCidr } from './enrich/ip-ownership.ts'

export type Verdict = { ok: true } | { ok: false; reason: string; detail: string }

const OK: Verdict = { ok: true }
// Old enough for replayed historical flow logs, recent enough to catch zeros and unit mistakes.
const EARLIEST_MS = Date.UTC(2000, 0, 1)
/** Clients' clocks drift; an event up to a day ahead of ours is taken as skew, further is garbage. */
const MAX_FUTURE_MS = 24 * 3600 * 1000

const VALIDATORS: { readonly [K in RecordKind]: (record: RecordKinds[K], nowMs: number) => Verdict } = {
  client_event: (event, nowMs) => validateClientEvent(event, nowMs),
  network_flow: (flow, nowMs) => validateFlow(flow, nowMs),
  ip_assignment: (assignment, nowMs) => validateAssignment(assignment, nowMs),
}

export function validateRecord<K extends RecordKind>(kind: K, record: RecordKinds[K], nowMs: number): Verdict {
  return VALIDATORS[kind](record, nowMs)
}

function timeInRange(timeMs: number, nowMs: number): boolean {
  return timeMs >= EARLIEST_MS && timeMs <= nowMs + MAX_FUTURE_MS
}

export function validateClientEvent(event: ClientEvent, nowMs: number): Verdict {
  if (event.event_id === '') return { ok: false, reason: 'missing_id', detail: 'event_id is empty' }
  if (!timeInRange(event.event_time, nowMs)) {
    return { ok: false, reason: 'time_out_of_range', detail: `event_time ${event.event_time} is outside [2000, now + 1 day]` }
  }
  // Send time is the client's clock too: 0 or a far-future value is a broken client, and the skew
  // analysts estimate from it (send time against ingest time) would be nonsense.
  if (!timeInRange(event.client_send_time, nowMs)) {
    return { ok: false, reason: 'time_out_of_range', detail: `client_send_time ${event.client_send_time} is outside [2000, now + 1 day]` }
  }
  if (event.playback_id === null && isPlaybackEvent(event.event_type)) {
    return { ok: false, reason: 'missing_id', detail: `${event.event_type} without playback_id` }
  }
  return OK
}

function isPlaybackEvent(type: ClientEvent['event_type']): boolean {
  return !(type === 'row_impression' || type === 'title_click' || type === 'search' || type === 'ab_allocation')
}

export function validateFlow(flow: NetworkFlow, nowMs: number): Verdict {
  if (!timeInRange(flow.start * 1000, nowMs)) {
    return { ok: false, reason: 'time_out_of_range', detail: `start ${flow.start} is outside [2000, now + 1 day]` }
  }
  if (flow.end < flow.start) return { ok: false, reason: 'bad_interval', detail: `end ${flow.end} is before start ${flow.start}` }
  if (flow.log_status === 'OK' && (flow.src_addr === null || flow.dst_addr === null)) {
    return { ok: false, reason: 'missing_address', detail: 'log_status OK without source or destination address' }
  }
  // A flow whose address is not an IP would be stored, attributed `unknown`, and skew the unknown share.
  for (const [name, address] of [['src_addr', flow.src_addr], ['dst_addr', flow.dst_addr]] as const) {
    if (address !== null && isIP(address) === 0) return { ok: false, reason: 'bad_address', detail: `${name} "${address.slice(0, 60)}" is not an IPv4 or IPv6 address` }
  }
  return OK
}

export function validateAssignment(assignment: IpAssignment, nowMs: number): Verdict {
  if (!timeInRange(assignment.effective_time, nowMs)) {
    return { ok: false, reason: 'time_out_of_range', detail: `effective_time ${assignment.effective_time} is out of range` }
  }
  // The ownership index's own parser, so every CIDR it would refuse (octet 256, /33) is refused here,
  // at validation, and never half-way through enrichment.
  if (parseCidr(assignment.cidr) === undefined) {
    return { ok: false, reason: 'bad_cidr', detail: `"${assignment.cidr.slice(0, 60)}" is not an IPv4 address or CIDR block (octets 0-255, prefix /0 to /32)` }
  }
  return OK
}
