// Network traffic: VPC flow log v2 records shaped as AWS writes them, attributed by an assignment
// timeline that changes over time, whose records sometimes trail the flows they explain.
import { describe, expect, it } from 'vitest'
import { FLOW_DEFAULTS, createFlowTraffic, resolveFlowOptions } from '../../../producers/generators/index.ts'
import type { FlowGenerated, FlowTrafficOptions } from '../../../producers/generators/index.ts'
import { decode, encode } from '../../../schemas/codec.ts'
import type { IpAssignment, NetworkFlow } from '../../../schemas/types.ts'

const START = FLOW_DEFAULTS.startTime
const OPTIONS: FlowTrafficOptions = { seed: 8, ratePerSecond: 500, reassignEverySeconds: 4, assignmentDelayMs: 5000, noDataFraction: 0.01 }

function generate(options: FlowTrafficOptions, count: number): { traffic: ReturnType<typeof createFlowTraffic>; records: FlowGenerated[] } {
  const traffic = createFlowTraffic(options)
  const records = Array.from({ length: count }, () => traffic.next())
  return { traffic, records }
}

function flowsOf(records: readonly FlowGenerated[]): { flow: NetworkFlow; sendTime: number; key: string }[] {
  return records.flatMap((g) => (g.kind === 'network_flow' ? [{ flow: g.record, sendTime: g.sendTime, key: g.key }] : []))
}

function assignmentsOf(records: readonly FlowGenerated[]): { change: IpAssignment; sendTime: number; key: string }[] {
  return records.flatMap((g) => (g.kind === 'ip_assignment' ? [{ change: g.record, sendTime: g.sendTime, key: g.key }] : []))
}

// About 10 simulated minutes with a reassignment every 4 s.
const { traffic, records } = generate(OPTIONS, 300_000)
const { truth } = traffic
const flows = flowsOf(records)
const assignments = assignmentsOf(records)
const okFlows = flows.filter(({ flow }) => flow.log_status === 'OK')

describe('flow traffic stream', () => {
  it('is the same for the same options and differs for another seed', () => {
    expect(generate(OPTIONS, 20_000).records).toEqual(records.slice(0, 20_000))
    const other = generate({ ...OPTIONS, seed: 9 }, 2000).records
    expect(other).not.toEqual(records.slice(0, 2000))
  })

  it('comes out in send-time order; flows end by the time they are sent', () => {
    expect(records.filter((g, i) => i > 0 && g.sendTime < (records[i - 1]?.sendTime ?? 0))).toEqual([])
    expect(flows.filter(({ flow, sendTime }) => flow.end * 1000 > sendTime || flow.start > flow.end || flow.end - flow.start > 60)).toEqual([])
  })

  it('opens with the whole fleet assigned at startTime, effective before it, before any flow', () => {
    const firstFlow = records.findIndex((g) => g.kind === 'network_flow')
    const opening = assignmentsOf(records.slice(0, firstFlow))
    expect(opening.length).toBeGreaterThan(100)
    expect(opening.every(({ change, sendTime }) => change.action === 'assign' && sendTime === START && change.effective_time < START)).toBe(true)
    expect(new Set(opening.map(({ change }) => change.cidr)).size).toBe(opening.length)
    expect(opening.some(({ change }) => change.cidr.endsWith('/28'))).toBe(true)
    expect(opening.some(({ change }) => change.cidr.endsWith('/32'))).toBe(true)
    expect(new Set(opening.map(({ change }) => change.app)).size).toBe(FLOW_DEFAULTS.apps)
  })

  it('keys flows by interface_id and assignments by cidr', () => {
    expect(flows.every(({ flow, key }) => key === flow.interface_id)).toBe(true)
    expect(assignments.every(({ change, key }) => key === change.cidr)).toBe(true)
  })

  it('rejects options that make no sense instead of guessing', () => {
    expect(() => resolveFlowOptions({ apps: 1 })).toThrow(/apps/)
    expect(() => resolveFlowOptions({ unknownFraction: 0.999, noDataFraction: 0.01 })).toThrow(/exceed 1/)
    expect(() => resolveFlowOptions({ reassignEvery: 5 } as FlowTrafficOptions)).toThrow(/unknown flow traffic option/)
    expect(resolveFlowOptions({ apps: 40 }).apps).toBe(40)
  })

  it('averages ratePerSecond flow records per simulated second', () => {
    const seconds = ((flows[flows.length - 1]?.sendTime ?? 0) - START) / 1000
    expect(flows.length / seconds).toBeGreaterThan(500 * 0.98)
    expect(flows.length / seconds).toBeLessThan(500 * 1.02)
  })

  it('fits the network_flow and ip_assignment schemas (Avro round trip)', () => {
    for (const g of [...records.slice(0, 3000), ...records.filter((r) => r.kind === 'network_flow' && r.record.log_status !== 'OK').slice(0, 50)]) {
      const decoded = decode(g.kind, encode(g.kind, g.record))
      // Fields the generator leaves out (versions 3 to 8) come back null; every field it wrote comes back as written.
      expect(decoded.ok && decoded.value).toEqual(expect.objectContaining(g.record))
    }
  })
})

describe('flow log records', () => {
  it('carry the v2 default format: 12-digit account, eni id, service ports, TCP or UDP', () => {
    const wrong = flows.filter(
      ({ flow }) => flow.version !== 2 || !/^\d{12}$/.test(flow.account_id) || !/^eni-[0-9a-f]{17}$/.test(flow.interface_id),
    )
    expect(wrong).toEqual([])
    const badOk = okFlows.filter(
      ({ flow }) =>
        flow.src_addr === null || flow.dst_addr === null || flow.action === null || (flow.packets ?? 0) < 1 ||
        (flow.bytes ?? 0) < 40 * (flow.packets ?? 0) || ![6, 17].includes(flow.protocol ?? 0),
    )
    expect(badOk).toEqual([])
    const dstPorts = new Set(okFlows.map(({ flow }) => flow.dst_port))
    for (const port of [443, 8080, 9042, 9092, 53]) expect(dstPorts.has(port)).toBe(true)
    const ephemeral = okFlows.filter(({ flow }) => (flow.src_port ?? 0) >= 32768).length
    expect(ephemeral / okFlows.length).toBeGreaterThan(0.9)
  })

  it('mostly ACCEPTs, with some REJECTs', () => {
    const rejected = okFlows.filter(({ flow }) => flow.action === 'REJECT').length / okFlows.length
    expect(rejected).toBeGreaterThan(0.002)
    expect(rejected).toBeLessThan(0.05)
  })

  it('writes NODATA and SKIPDATA records with every "-" field null', () => {
    const empty = flows.filter(({ flow }) => flow.log_status !== 'OK')
    expect(empty.length / flows.length).toBeGreaterThan(0.007)
    expect(empty.length / flows.length).toBeLessThan(0.013)
    expect(new Set(empty.map(({ flow }) => flow.log_status))).toEqual(new Set(['NODATA', 'SKIPDATA']))
    const fields = ['src_addr', 'dst_addr', 'src_port', 'dst_port', 'protocol', 'packets', 'bytes', 'action'] as const
    expect(empty.filter(({ flow }) => fields.some((f) => flow[f] !== null))).toEqual([])
    expect(empty.every(({ flow }) => flow.start <= flow.end && flow.interface_id.startsWith('eni-'))).toBe(true)
  })

  it('has heavy-tailed bytes: the top 1% of flows carry a large share', () => {
    const bytes = okFlows.map(({ flow }) => flow.bytes ?? 0).sort((a, b) => b - a)
    const total = bytes.reduce((a, b) => a + b, 0)
    const top = bytes.slice(0, Math.ceil(bytes.length / 100)).reduce((a, b) => a + b, 0)
    expect(top / total).toBeGreaterThan(0.2)
  })

  it('sends about unknownFraction of flows with one end outside the fleet', () => {
    const outside = okFlows.filter(({ flow }) => truth.cidrOf(flow.src_addr ?? '') === null || truth.cidrOf(flow.dst_addr ?? '') === null)
    const share = outside.length / flows.length
    expect(share).toBeGreaterThan(FLOW_DEFAULTS.unknownFraction - 0.01)
    expect(share).toBeLessThan(FLOW_DEFAULTS.unknownFraction + 0.01)
    expect(outside.some(({ flow }) => flow.src_addr?.startsWith('10.') === true || flow.dst_addr?.startsWith('10.200.') === true)).toBe(true)
  })
})
