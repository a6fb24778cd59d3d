// Draws one VPC flow log record (version 2 default format): app-to-app flows along the call graph,
// flows with one end outside the fleet, and NODATA/SKIPDATA records whose "-" fields are null.
import type { FlowAction, NetworkFlow } from '../../schemas/types.ts'
import type { FleetApp, PoolEntry } from './flow-fleet.ts'
import type { FleetState } from './fleet-state.ts'
import { WeightedTable } from './random.ts'
import type { Rng } from './random.ts'

/** Linux's default ephemeral range (net.ipv4.ip_local_port_range). */
const EPHEMERAL_LOW = 32768
const EPHEMERAL_HIGH = 60999
/** AWS aggregates flows over at most 60 s; a record spans up to that. */
const MAX_FLOW_SECONDS = 59
const SCAN_PORTS: readonly number[] = [22, 23, 445, 3389, 6379, 5900]
const PUBLIC_FIRST_OCTETS: readonly number[] = [24, 49, 73, 81, 98, 110, 121, 177, 189, 201]
const AWS_PUBLIC_FIRST_OCTETS: readonly number[] = [3, 52, 54]
const PUBLIC_FACING: readonly string[] = ['api-gateway', 'edge-cache']

interface Edge {
  from: FleetApp
  to: FleetApp
}

export class FlowFactory {
  private readonly edges: WeightedTable<Edge>
  private readonly publicFacing: readonly FleetApp[]

  constructor(
    private readonly rng: Rng,
    private readonly fleet: FleetState,
  ) {
    this.edges = new WeightedTable(edgeWeights(fleet.apps))
    const facing = fleet.apps.filter((app) => PUBLIC_FACING.includes(app.spec.name))
    this.publicFacing = facing.length > 0 ? facing : fleet.apps
  }

  /** A flow between two fleet apps, recorded at either end's interface; null if no address is usable yet. */
  fleetFlow(endSecond: number): NetworkFlow | null {
    const { rng, fleet } = this
    const edge = this.edges.pick(rng)
    const from = fleet.usableOf(rng, edge.from, endSecond)
    const to = fleet.usableOf(rng, edge.to, endSecond)
    if (from === null || to === null) return null
    const start = this.startSecond(endSecond, Math.max(from.firstSecond, to.firstSecond))
    const spec = edge.to.spec
    const at = rng.chance(0.5) ? from : to
    // Security groups deny a few internal flows (misconfigured clients, stale endpoints).
    const action: FlowAction = rng.chance(0.005) ? 'REJECT' : 'ACCEPT'
    const src = rng.pick(from.ips)
    const dst = rng.pick(to.ips)
    return this.record(at, src, dst, this.ephemeralPort(), spec.port, spec.protocol, start, endSecond, action)
  }

  /** A flow with one end outside the fleet: internet clients, scanners, AWS APIs, a peered VPC. */
  externalFlow(endSecond: number): NetworkFlow | null {
    const { rng, fleet } = this
    const u = rng.float()
    const app = u < 0.55 ? rng.pick(this.publicFacing) : null
    const entry = app === null ? fleet.anyUsable(rng, endSecond) : fleet.usableOf(rng, app, endSecond)
    if (entry === null) return null
    const start = this.startSecond(endSecond, entry.firstSecond)
    const local = rng.pick(entry.ips)
    const spec = entry.app.spec
    if (u < 0.55) return this.record(entry, this.publicIp(PUBLIC_FIRST_OCTETS), local, this.ephemeralPort(), spec.port, 6, start, endSecond, 'ACCEPT')
    if (u < 0.7) {
      // Scanners knock on admin ports and the security group rejects them: a few packets, REJECT.
      const scan = this.record(entry, this.publicIp(PUBLIC_FIRST_OCTETS), local, this.ephemeralPort(), rng.pick(SCAN_PORTS), 6, start, endSecond, 'REJECT')
      scan.packets = rng.between(1, 3)
      scan.bytes = scan.packets * 44
      return scan
    }
    if (u < 0.9) return this.record(entry, local, this.publicIp(AWS_PUBLIC_FIRST_OCTETS), this.ephemeralPort(), 443, 6, start, endSecond, 'ACCEPT')
    // A peered VPC missing from the inventory: private, yet unknown to enrichment.
    const peer = `10.200.${rng.int(256)}.${rng.between(1, 254)}`
    return this.record(entry, local, peer, this.ephemeralPort(), 8080, 6, start, endSecond, 'ACCEPT')
  }

  /** NODATA (no traffic in the window) or SKIPDATA (records lost): only identity and times are known. */
  noData(endSecond: number): NetworkFlow | null {
    const entry = this.fleet.anyUsable(this.rng, endSecond)
    if (entry === null) return null
    return {
      version: 2,
      account_id: entry.app.accountId,
      interface_id: entry.interfaceId,
      src_addr: null,
      dst_addr: null,
      src_port: null,
      dst_port: null,
      protocol: null,
      packets: null,
      bytes: null,
      start: Math.max(entry.firstSecond, endSecond - MAX_FLOW_SECONDS),
      end: endSecond,
      action: null,
      log_status: this.rng.chance(0.2) ? 'SKIPDATA' : 'NODATA',
    }
  }

  private record(
    at: PoolEntry,
    src: string,
    dst: string,
    srcPort: number,
    dstPort: number,
    protocol: number,
    start: number,
    end: number,
    action: FlowAction,
  ): NetworkFlow {
    const rng = this.rng
    // Lognormal packets give the heavy tail of real traffic: most flows small, a few carry gigabytes.
    const packets = 1 + Math.floor(Math.min(rng.lognormal(12, 1.7), 5_000_000))
    const bytes = packets * rng.between(protocol === 17 ? 60 : 52, protocol === 17 ? 512 : 1500)
    return {
      version: 2,
      account_id: at.app.accountId,
      interface_id: at.interfaceId,
      src_addr: src,
      dst_addr: dst,
      src_port: srcPort,
      dst_port: dstPort,
      protocol,
      packets,
      bytes,
      start,
      end,
      action,
      log_status: 'OK',
    }
  }

  /** Start second: mostly short flows, never before the addresses' owners held them. */
  private startSecond(endSecond: number, earliest: number): number {
    const length = Math.min(MAX_FLOW_SECONDS, Math.floor(this.rng.exponential(12)))
    return Math.max(earliest, endSecond - length)
  }

  private ephemeralPort(): number {
    return this.rng.between(EPHEMERAL_LOW, EPHEMERAL_HIGH)
  }

  private publicIp(firstOctets: readonly number[]): string {
    const rng = this.rng
    return `${rng.pick(firstOctets)}.${rng.int(256)}.${rng.int(256)}.${rng.between(1, 254)}`
  }
}

/**
 * Edge weights: an app's weight split over its calls (90%) and the telemetry/DNS calls every app makes
 * (10%). A small floor lets apps that mostly serve still start a few flows.
 */
function edgeWeights(apps: readonly FleetApp[]): [Edge, number][] {
  const weights: [Edge, number][] = []
  for (const from of apps) {
    const main = from.calls.filter((to) => from.spec.calls.includes(to.spec.name))
    const chatter = from.calls.filter((to) => !main.includes(to))
    const weight = from.spec.weight + 0.2
    const mainShare = chatter.length === 0 ? 1 : main.length === 0 ? 0 : 0.9
    for (const to of main) weights.push([{ from, to }, (weight * mainShare) / main.length])
    for (const to of chatter) weights.push([{ from, to }, (weight * (1 - mainShare)) / chatter.length])
  }
  if (weights.length === 0) throw new RangeError('the fleet has no calls between its apps: raise apps')
  return weights
}
