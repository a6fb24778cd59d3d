// Checks a decoded record makes sense beyond its schema: times in a plausible range, ids present,
// flow intervals in order. A failed check names the rule, which becomes the dead letter's reason.
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind, RecordKinds } from '../schemas/types.ts'

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
  return OK
}

export function validateAssignment(assignment: IpAssignment, nowMs: number): Verdict {
  if (!timeInRange(assignment.effective_time, nowMs)) {
    return { ok: false, reason: 'time_out_of_range', detail: `effective_time ${assignment.effective_time} is out of range` }
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(assignment.cidr)) {
    return { ok: false, reason: 'bad_cidr', detail: `"${assignment.cidr}" is not an IPv4 address or CIDR block` }
  }
  return OK
}
