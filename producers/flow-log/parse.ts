// Parses AWS VPC flow log records in the default (version 2) format: fourteen space-separated fields,
// "-" where a field has no value. NODATA (no traffic in the interval) and SKIPDATA (records skipped
// during the interval) carry no addresses, ports or counts, as AWS documents. A header line naming
// the fields is recognised and skipped. Custom formats (other fields or order) are not read.
import type { FlowAction, FlowLogStatus, NetworkFlow } from '../../schemas/types.ts'

export const V2_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const

export type ParsedLine = { kind: 'flow'; flow: NetworkFlow } | { kind: 'header' } | { kind: 'blank' } | { kind: 'error'; reason: string }

const STATUSES: readonly FlowLogStatus[] = ['OK', 'NODATA', 'SKIPDATA']
const ACTIONS: readonly FlowAction[] = ['ACCEPT', 'REJECT']

export function parseFlowLogLine(line: string): ParsedLine {
  const trimmed = line.trim()
  if (trimmed === '') return { kind: 'blank' }
  const fields = trimmed.split(/\s+/)
  if (fields[0] === 'version') return { kind: 'header' }
  if (fields.length !== V2_FIELDS.length) return { kind: 'error', reason: `expected ${V2_FIELDS.length} fields of the version 2 default format, found ${fields.length}` }
  const field = (index: number): string => fields[index] ?? '-'
  const [version, account, eni, src, dst, srcPort, dstPort, protocol, packets, bytes, start, end, action, status] = V2_FIELDS.map((_, index) => field(index)) as [
    string, string, string, string, string, string, string, string, string, string, string, string, string, string,
  ]
  if (version !== '2') return { kind: 'error', reason: `version ${version} is not the version 2 default format` }
  const logStatus = STATUSES.find((candidate) => candidate === status)
  if (logStatus === undefined) return { kind: 'error', reason: `log-status "${status}" is not OK, NODATA or SKIPDATA` }
  const numbers = { srcPort, dstPort, protocol, packets, bytes, start, end }
  for (const [name, text] of Object.entries(numbers)) {
    if (text !== '-' && !/^\d+$/.test(text)) return { kind: 'error', reason: `${name} "${text}" is not a number` }
  }
  if (start === '-' || end === '-') return { kind: 'error', reason: 'start and end are required' }
  const flowAction = action === '-' ? null : (ACTIONS.find((candidate) => candidate === action) ?? 'invalid')
  if (flowAction === 'invalid') return { kind: 'error', reason: `action "${action}" is not ACCEPT or REJECT` }
  return {
    kind: 'flow',
    flow: {
      version: 2,
      account_id: account,
      interface_id: eni,
      src_addr: dash(src),
      dst_addr: dash(dst),
      src_port: numberOrNull(srcPort),
      dst_port: numberOrNull(dstPort),
      protocol: numberOrNull(protocol),
      packets: numberOrNull(packets),
      bytes: numberOrNull(bytes),
      start: Number(start),
      end: Number(end),
      action: flowAction,
      log_status: logStatus,
    },
  }
}

function dash(text: string): string | null {
  return text === '-' ? null : text
}

function numberOrNull(text: string): number | null {
  return text === '-' ? null : Number(text)
}
