// As-of attribution ground truth: who owned each flow's addresses at the flow's time, per the generator's
// truth and per its own ip_assignment records, which must agree; and how reassignments show in the stream.
import { describe, expect, it } from 'vitest'
import { createFlowTraffic } from '../../../producers/generators/index.ts'
import type { FlowGenerated, FlowTrafficOptions, IpOwner } from '../../../producers/generators/index.ts'
import type { IpAssignment, NetworkFlow } from '../../../schemas/types.ts'

const REASSIGN_SECONDS = 4
const DELAY_MS = 5000
const OPTIONS: FlowTrafficOptions = { seed: 8, ratePerSecond: 500, reassignEverySeconds: REASSIGN_SECONDS, assignmentDelayMs: DELAY_MS }

function generate(options: FlowTrafficOptions, count: number): { truth: ReturnType<typeof createFlowTraffic>['truth']; records: FlowGenerated[] } {
  const traffic = createFlowTraffic(options)
  return { truth: traffic.truth, records: Array.from({ length: count }, () => traffic.next()) }
}

interface SentFlow {
  flow: NetworkFlow
  sendTime: number
}
interface SentChange {
  change: IpAssignment
  sendTime: number
}

function split(records: readonly FlowGenerated[]): { flows: SentFlow[]; changes: SentChange[] } {
  const flows: SentFlow[] = []
  const changes: SentChange[] = []
  for (const g of records) {
    if (g.kind === 'network_flow') flows.push({ flow: g.record, sendTime: g.sendTime })
    else changes.push({ change: g.record, sendTime: g.sendTime })
  }
  return { flows, changes }
}

/** An as-of table built only from the ip_assignment records, the way an enrichment stage would. */
function ownersFromRecords(changes: readonly SentChange[]): (ip: string, time: number) => { cidr: string; owner: IpOwner | null } | null {
  const byCidr = new Map<string, IpAssignment[]>()
  for (const { change } of changes) byCidr.set(change.cidr, [...(byCidr.get(change.cidr) ?? []), change])
  for (const list of byCidr.values()) list.sort((a, b) => a.effective_time - b.effective_time)
  const toInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
  const blocks = [...byCidr.keys()].map((cidr) => {
    const [base = '', bits = '32'] = cidr.split('/')
    return { cidr, base: toInt(base), size: 2 ** (32 - Number(bits)) }
  })
  return (ip, time) => {
    const n = toInt(ip)
    const block = blocks.find((b) => n >= b.base && n < b.base + b.size)
    if (block === undefined) return null
    const last = (byCidr.get(block.cidr) ?? []).filter((c) => c.effective_time <= time).pop()
    const owner = last?.action === 'assign' ? { app: last.app, cluster: last.cluster, region: last.region } : null
    return { cidr: block.cidr, owner }
  }
}

const { truth, records } = generate(OPTIONS, 300_000)
const { flows, changes } = split(records)
const okFlows = flows.filter(({ flow }) => flow.log_status === 'OK')
const moves = changes.filter(({ sendTime, change }) => sendTime > change.effective_time || change.action === 'release')
const startTime = records[0]?.sendTime ?? 0

describe('as-of ownership of flow addresses', () => {
  it('gives every fleet address of every flow an owner at flow start, the same at its end', () => {
    const problems: string[] = []
    for (const { flow } of okFlows) {
      for (const ip of [flow.src_addr ?? '', flow.dst_addr ?? '']) {
        if (truth.cidrOf(ip) === null) continue
        const atStart = truth.ownerAt(ip, flow.start * 1000)
        if (atStart === null) problems.push(`${ip} unowned at ${flow.start}`)
        else if (truth.ownerAt(ip, flow.end * 1000)?.app !== atStart.app) problems.push(`${ip} changes owner during a flow`)
      }
    }
    expect(problems.slice(0, 5)).toEqual([])
  })

  it('attributes the destination to the app serving the flow dst_port', () => {
    const internal = okFlows.filter(({ flow }) => truth.cidrOf(flow.src_addr ?? '') !== null && truth.cidrOf(flow.dst_addr ?? '') !== null)
    expect(internal.length).toBeGreaterThan(okFlows.length * 0.9)
    const wrong = internal.filter(({ flow }) => {
      const owner = truth.ownerAt(flow.dst_addr ?? '', flow.start * 1000)
      return owner === null || truth.servicePort(owner.app) !== flow.dst_port
    })
    expect(wrong.slice(0, 5)).toEqual([])
  })

  it('agrees with an as-of table rebuilt from the ip_assignment records alone', () => {
    const fromRecords = ownersFromRecords(changes)
    const sample = okFlows.filter((_, i) => i % 20 === 0)
    let compared = 0
    for (const { flow } of sample) {
      for (const ip of [flow.src_addr ?? '', flow.dst_addr ?? '']) {
        const rebuilt = fromRecords(ip, flow.start * 1000)
        expect(rebuilt?.cidr ?? null).toBe(truth.cidrOf(ip))
        expect(rebuilt?.owner ?? null).toEqual(truth.ownerAt(ip, flow.start * 1000))
        compared++
      }
    }
    expect(compared).toBeGreaterThan(20_000)
  })

  it('answers "nobody" outside the fleet and before any assignment', () => {
    expect(truth.ownerAt('8.8.8.8', startTime)).toBeNull()
    expect(truth.ownerAt('10.200.1.1', startTime)).toBeNull()
    expect(truth.ownerAt('not an ip', startTime)).toBeNull()
    const cidr = truth.cidrs()[0] ?? ''
    expect(truth.ownerAt(cidr.split('/')[0] ?? '', 0)).toBeNull()
  })
})

describe('reassignments', () => {
  it('move CIDRs between apps at about the configured pace: release, idle, assign to another app', () => {
    const seconds = ((records[records.length - 1]?.sendTime ?? 0) - startTime) / 1000
    const releases = moves.filter(({ change }) => change.action === 'release')
    expect(releases.length).toBeGreaterThan((seconds / REASSIGN_SECONDS) * 0.8)
    expect(releases.length).toBeLessThan(seconds / REASSIGN_SECONDS + 1)
    let checked = 0
    for (const { change: release } of releases) {
      const assign = moves.find(({ change }) => change.cidr === release.cidr && change.action === 'assign' && change.effective_time > release.effective_time)
      if (assign === undefined) continue // taken after the sample ends
      const ip = release.cidr.split('/')[0] ?? ''
      expect(assign.change.app).not.toBe(release.app)
      expect(truth.ownerAt(ip, release.effective_time - 1)?.app).toBe(release.app)
      expect(truth.ownerAt(ip, release.effective_time)).toBeNull()
      expect(truth.ownerAt(ip, assign.change.effective_time)?.app).toBe(assign.change.app)
      checked++
    }
    expect(checked).toBeGreaterThan(releases.length * 0.9)
  })

  it('sends each change within assignmentDelayMs of taking effect, one CIDR in effective order', () => {
    expect(moves.filter(({ change, sendTime }) => sendTime < change.effective_time)).toEqual([])
    const lastByCidr = new Map<string, number>()
    for (const { change, sendTime } of moves) {
      const previous = lastByCidr.get(change.cidr) ?? -Infinity
      expect(change.effective_time).toBeGreaterThan(previous)
      lastByCidr.set(change.cidr, change.effective_time)
      // An assign waits for its CIDR's release record, which may itself be delayed.
      if (change.action === 'release') expect(sendTime - change.effective_time).toBeLessThanOrEqual(DELAY_MS)
    }
  })

  it('sends some assignments after flows they explain, so enrichment must hold flows back', () => {
    expect(flowsAheadOfTheirAssignment(flows, changes, truth)).toBeGreaterThan(100)
  })

  it('sends no flow ahead of its assignment when assignmentDelayMs is 0', () => {
    const generated = generate({ ...OPTIONS, assignmentDelayMs: 0 }, 100_000)
    const prompt = split(generated.records)
    expect(prompt.changes.length).toBeGreaterThan(250)
    expect(flowsAheadOfTheirAssignment(prompt.flows, prompt.changes, generated.truth)).toBe(0)
  })
})

/** Flow addresses sent before the assign record that gives them their owner at flow start. */
function flowsAheadOfTheirAssignment(flows: readonly SentFlow[], changes: readonly SentChange[], fleet: typeof truth): number {
  const assigns = new Map<string, SentChange[]>()
  for (const c of changes) if (c.change.action === 'assign') assigns.set(c.change.cidr, [...(assigns.get(c.change.cidr) ?? []), c])
  let ahead = 0
  for (const { flow, sendTime } of flows) {
    for (const ip of [flow.src_addr, flow.dst_addr]) {
      const cidr = ip === null ? null : fleet.cidrOf(ip)
      const history = cidr === null ? undefined : assigns.get(cidr)
      const explaining = history?.filter(({ change }) => change.effective_time <= flow.start * 1000).pop()
      if (explaining !== undefined && explaining.sendTime > sendTime) ahead++
    }
  }
  return ahead
}
