// Flow log formats and lines as AWS writes them: any field of versions 2 to 8 in any order, "-" as
// null, NODATA kept, a wrong field count or a format without start/end refused with the reason.
import { describe, expect, it } from 'vitest'
import { FLOW_LOG_FIELDS } from '../../../schemas/flow-log/fields.ts'
import { DEFAULT_FORMAT, isHeaderLine, parseFlowLogFormat, type FlowLogFormat } from '../../../schemas/flow-log/format.ts'
import { parseFlowLine } from '../../../schemas/flow-log/line.ts'

function format(text: string): FlowLogFormat {
  const parsed = parseFlowLogFormat(text)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.format
}

describe('flow log formats', () => {
  it('reads AWS syntax and a header line alike, with the version of the newest field', () => {
    const aws = format('${version} ${vpc-id} ${srcaddr} ${dstaddr} ${start} ${end} ${flow-direction}')
    const header = format('version vpc-id srcaddr dstaddr start end flow-direction')
    expect(aws).toEqual(header)
    expect(aws.version).toBe(5)
    expect(aws.fields.map((field) => field.key)).toEqual(['version', 'vpc_id', 'src_addr', 'dst_addr', 'start', 'end', 'flow_direction'])
  })

  it('knows every field of versions 2 to 8, the default format being the 14 version 2 fields', () => {
    expect(FLOW_LOG_FIELDS).toHaveLength(40)
    expect(new Set(FLOW_LOG_FIELDS.map((field) => field.version))).toEqual(new Set([2, 3, 4, 5, 7, 8]))
    expect(DEFAULT_FORMAT.header).toBe('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status')
  })

  it('refuses a format without start or end, an unknown field and a repeated one, saying why', () => {
    expect(parseFlowLogFormat('${srcaddr} ${dstaddr} ${end}')).toEqual({ ok: false, reason: expect.stringMatching(/lacks start: .*event time/) as unknown })
    expect(parseFlowLogFormat('${srcaddr} ${start} ${end} ${colour}')).toEqual({ ok: false, reason: expect.stringMatching(/"colour" is not a VPC flow log field/) as unknown })
    expect(parseFlowLogFormat('start end start')).toEqual({ ok: false, reason: expect.stringMatching(/twice/) as unknown })
  })

  it('tells a header line from a record', () => {
    expect(isHeaderLine('version srcaddr start end')).toBe(true)
    expect(isHeaderLine('2 10.0.0.1 1700000000 1700000060')).toBe(false)
  })
})

describe('flow log lines', () => {
  const custom = format('${start} ${end} ${tcp-flags} ${srcaddr} ${dstaddr} ${type} ${pkt-srcaddr} ${az-id} ${traffic-path} ${log-status} ${reject-reason}')

  it('fills every field of a custom format from its column, "-" as null', () => {
    const parsed = parseFlowLine('1700000000 1700000060 19 2001:db8::1 2001:db8::2 IPv6 - use1-az1 8 OK -', custom)
    expect(parsed).toEqual({ ok: true, flow: expect.objectContaining({
      version: 8, start: 1_700_000_000, end: 1_700_000_060, tcp_flags: 19, src_addr: '2001:db8::1', dst_addr: '2001:db8::2',
      traffic_type: 'IPv6', pkt_src_addr: null, az_id: 'use1-az1', traffic_path: 8, log_status: 'OK', reject_reason: null,
      account_id: '', interface_id: '', packets: null, action: null,
    }) as unknown })
  })

  it('keeps NODATA records with their interval', () => {
    const line = '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA'
    expect(parseFlowLine(line, DEFAULT_FORMAT)).toEqual({ ok: true, flow: expect.objectContaining({ log_status: 'NODATA', src_addr: null, packets: null, start: 1431280876 }) as unknown })
  })

  it('refuses a line whose field count does not match the format, and a shifted number', () => {
    expect(parseFlowLine('1700000000 1700000060 19', custom)).toEqual({ ok: false, reason: 'field_count', detail: expect.stringMatching(/^3 fields where the format has 11/) as unknown })
    expect(parseFlowLine('1700000000 1700000060 SYN a b IPv4 - x 1 OK -', custom)).toEqual({ ok: false, reason: 'bad_field', detail: 'tcp-flags "SYN" is not a whole number' })
  })
})
