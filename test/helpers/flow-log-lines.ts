// Flow log lines written field by field in a chosen format, with the column each field lands in, so
// a test can write a file in any order of fields and check every column of network_flows.
import { FLOW_LOG_FIELDS } from '../../schemas/flow-log/fields.ts'

/** A flow log record by AWS field name; fields left out are written "-". */
export type FlowFields = Readonly<Record<string, string>>

/** network_flows' column for each field (most are the NetworkFlow key; times and type differ). */
export function columnOf(field: string): string {
  if (field === 'start') return 'flow_start'
  if (field === 'end') return 'flow_end'
  return FLOW_LOG_FIELDS.find((entry) => entry.name === field)?.key ?? field
}

export function lineIn(order: readonly string[], fields: FlowFields): string {
  return order.map((name) => fields[name] ?? '-').join(' ')
}

/** What network_flows should hold for the record, as strings (null for "-"), by column. */
export function expectedColumns(order: readonly string[], fields: FlowFields): Record<string, string | null> {
  const expected: Record<string, string | null> = {}
  for (const name of order) {
    const value = fields[name] ?? '-'
    const column = columnOf(name)
    // account-id, interface-id and the version 2 addresses are not nullable columns: "-" is ''.
    const blank = ['account_id', 'interface_id', 'src_addr', 'dst_addr', 'action', 'log_status'].includes(column)
    expected[column] = value === '-' ? (blank ? '' : null) : value
  }
  return expected
}
