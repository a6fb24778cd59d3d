// Reads one flow log record (a line of space-separated fields, "-" where a field has no value) in a
// given format into a NetworkFlow. "-" stays null; NODATA and SKIPDATA records are kept as such
// (AWS writes "-" for their addresses, ports and counts). A line whose field count does not match
// its format, or whose field does not read, is refused with the reason: it becomes a dead letter.
import { FLOW_ACTIONS, FLOW_LOG_STATUSES, type NetworkFlow } from '../types.ts'
import type { FlowLogField } from './fields.ts'
import type { FlowLogFormat } from './format.ts'

export type LineResult = { ok: true; flow: NetworkFlow } | { ok: false; reason: FlowLineFailure; detail: string }

/** Closed set: these become dead-letter reasons and metric labels. */
export type FlowLineFailure = 'field_count' | 'bad_field' | 'no_event_time' | 'bad_format'

// FlowAction and FlowLogStatus are strings too: one string member covers them.
type Value = string | number | null

function readField(entry: FlowLogField, text: string): Value | { error: string } {
  if (text === '-') return null
  switch (entry.value) {
    case 'string':
      return text
    case 'integer':
      // Digits only: AWS writes integers in decimal; anything else (a shifted column) is refused here.
      return /^\d{1,16}$/.test(text) ? Number(text) : { error: `${entry.name} "${text.slice(0, 40)}" is not a whole number` }
    case 'action':
      return FLOW_ACTIONS.find((action) => action === text) ?? { error: `action "${text.slice(0, 40)}" is not ACCEPT or REJECT` }
    case 'status':
      return FLOW_LOG_STATUSES.find((status) => status === text) ?? { error: `log-status "${text.slice(0, 40)}" is not OK, NODATA or SKIPDATA` }
  }
}

function emptyFlow(version: number): NetworkFlow {
  return {
    version, account_id: '', interface_id: '', src_addr: null, dst_addr: null, src_port: null, dst_port: null, protocol: null,
    packets: null, bytes: null, start: 0, end: 0, action: null, log_status: null,
  }
}

export function parseFlowLine(line: string, format: FlowLogFormat): LineResult {
  const tokens = line.trim().split(/\s+/)
  if (tokens.length !== format.fields.length) {
    return { ok: false, reason: 'field_count', detail: `${tokens.length} fields where the format has ${format.fields.length} (${format.header.slice(0, 200)})` }
  }
  const flow = emptyFlow(format.version)
  const values = flow as unknown as Record<string, Value>
  for (const [index, entry] of format.fields.entries()) {
    const value = readField(entry, tokens[index] ?? '-')
    if (typeof value === 'object' && value !== null) return { ok: false, reason: 'bad_field', detail: value.error }
    // account-id and interface-id key the stream and the table: "-" there (AWS writes it for some
    // service-owned interfaces) is kept as the empty string rather than null.
    values[entry.key] = value === null && (entry.key === 'account_id' || entry.key === 'interface_id') ? '' : value
  }
  // NODATA and SKIPDATA records carry their interval too; a "-" there leaves nothing to place in time.
  if (values.start === null || values.end === null) return { ok: false, reason: 'no_event_time', detail: 'start or end is "-"' }
  return { ok: true, flow }
}
