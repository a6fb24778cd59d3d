// The simulated fleet: applications, their clusters per region, and the CIDRs (k8s /28 prefixes or
// single /32 instances) each owns. Which app calls which, and on what port, shapes the flows.
import { ipToString } from './ip.ts'
import type { Rng } from './random.ts'

export interface AppSpec {
  name: string
  port: number
  /** 6 TCP, 17 UDP. */
  protocol: number
  /** Relative share of flows this app starts. */
  weight: number
  /** Stateful apps run on instances with single /32 IPs; the rest on k8s nodes with /28 prefixes. */
  stateful: boolean
  calls: readonly string[]
}

export const APP_CATALOG: readonly AppSpec[] = [
  { name: 'api-gateway', port: 443, protocol: 6, weight: 6, stateful: false, calls: ['playback-api', 'recommendations', 'search', 'billing', 'identity'] },
  { name: 'playback-api', port: 8080, protocol: 6, weight: 5, stateful: false, calls: ['license-server', 'cassandra', 'kafka', 'edge-cache', 'identity'] },
  { name: 'recommendations', port: 8080, protocol: 6, weight: 4, stateful: false, calls: ['cassandra', 'evcache', 'kafka'] },
  { name: 'license-server', port: 8443, protocol: 6, weight: 2, stateful: false, calls: ['cassandra', 'kafka'] },
  { name: 'billing', port: 8080, protocol: 6, weight: 1, stateful: false, calls: ['postgres', 'kafka'] },
  { name: 'search', port: 8080, protocol: 6, weight: 2, stateful: false, calls: ['elasticsearch', 'evcache'] },
  { name: 'identity', port: 8080, protocol: 6, weight: 2, stateful: false, calls: ['cassandra', 'evcache'] },
  { name: 'cassandra', port: 9042, protocol: 6, weight: 2, stateful: true, calls: ['cassandra'] },
  { name: 'kafka', port: 9092, protocol: 6, weight: 2, stateful: true, calls: ['kafka'] },
  { name: 'edge-cache', port: 443, protocol: 6, weight: 1, stateful: false, calls: ['playback-api'] },
  { name: 'evcache', port: 11211, protocol: 6, weight: 0, stateful: true, calls: [] },
  { name: 'postgres', port: 5432, protocol: 6, weight: 0, stateful: true, calls: [] },
  { name: 'elasticsearch', port: 9200, protocol: 6, weight: 1, stateful: true, calls: ['elasticsearch'] },
  { name: 'telemetry', port: 8125, protocol: 17, weight: 0, stateful: false, calls: [] },
  { name: 'dns-resolver', port: 53, protocol: 17, weight: 0, stateful: true, calls: [] },
]

/** Every app also reports metrics and resolves names: small UDP flows to these, when present. */
const EVERYONE_CALLS: readonly string[] = ['telemetry', 'dns-resolver']

export const REGIONS: readonly string[] = ['us-east-1', 'us-west-2', 'eu-west-1']
const ACCOUNTS: readonly string[] = ['123456789012', '210987654321', '345678901234']

export interface IpOwner {
  app: string
  cluster: string
  region: string
}

/** One CIDR held by one app from `effective` on; a reassignment makes a new entry (and a new ENI). */
export class PoolEntry {
  /** Place in the fleet's list of held entries; -1 once released. */
  slot = -1

  constructor(
    readonly cidr: string,
    readonly base: number,
    readonly prefix: number,
    readonly ips: readonly string[],
    readonly interfaceId: string,
    readonly app: FleetApp,
    readonly owner: IpOwner,
    readonly effective: number,
  ) {}

  /** First whole second a flow on this entry may start: flows must not predate the assignment. */
  get firstSecond(): number {
    return Math.ceil(this.effective / 1000)
  }
}

export class FleetApp {
  readonly entries: PoolEntry[] = []
  readonly calls: FleetApp[] = []

  constructor(
    readonly spec: AppSpec,
    readonly accountId: string,
    /** Cluster names by region index. */
    readonly clusters: readonly (readonly string[])[],
  ) {}
}

/** The apps of the fleet: the catalogue's first `count`, then generic services calling earlier ones. */
export function createApps(rng: Rng, count: number): FleetApp[] {
  const specs: AppSpec[] = APP_CATALOG.slice(0, count)
  for (let i = specs.length; i < count; i++) {
    const calls = [rng.pick(specs).name, rng.pick(specs).name]
    specs.push({ name: `svc-${String(i).padStart(3, '0')}`, port: 8080, protocol: 6, weight: 1, stateful: false, calls })
  }
  const apps = specs.map((spec, i) => new FleetApp(spec, ACCOUNTS[i % ACCOUNTS.length] ?? '', clustersOf(rng, spec.name)))
  const byName = new Map(apps.map((app) => [app.spec.name, app]))
  for (const app of apps) {
    for (const name of [...app.spec.calls, ...EVERYONE_CALLS]) {
      const callee = byName.get(name)
      if (callee !== undefined && (callee !== app || app.spec.calls.includes(name))) app.calls.push(callee)
    }
  }
  return apps
}

/** One or two clusters per region (two during a red/black deploy), named like Spinnaker server groups. */
function clustersOf(rng: Rng, app: string): string[][] {
  return REGIONS.map(() => {
    const version = rng.between(1, 400)
    const name = (v: number): string => `${app}-prod-v${String(v).padStart(3, '0')}`
    return rng.chance(0.3) ? [name(version), name(version + 1)] : [name(version)]
  })
}

/**
 * Hands out address blocks: per region, /28 prefixes from 10.(16+16r).0.0 and single /32 IPs from
 * 10.(24+16r).0.0, so blocks never overlap and every fleet address is in a known CIDR.
 */
export class AddressPlan {
  private readonly nextPrefix: number[] = REGIONS.map(() => 0)
  private readonly nextSingle: number[] = REGIONS.map(() => 0)

  /** A new CIDR in the region: [base, prefix length]. */
  allocate(region: number, single: boolean): [number, number] {
    const octet2 = (single ? 24 : 16) + 16 * region
    const base = ((10 << 24) | (octet2 << 16)) >>> 0
    const counters = single ? this.nextSingle : this.nextPrefix
    const n = counters[region] ?? 0
    counters[region] = n + 1
    // Singles skip .0 and .255 of each /24 so no address looks like a network or broadcast address.
    return single ? [base + 256 * Math.floor(n / 254) + (n % 254) + 1, 32] : [base + 16 * n, 28]
  }
}

export function cidrText(base: number, prefix: number): string {
  return `${ipToString(base)}/${prefix}`
}

/** The addresses of a block, as strings once, so flows pick one without formatting. */
export function addressesOf(base: number, prefix: number): string[] {
  const size = 2 ** (32 - prefix)
  return Array.from({ length: size }, (_, i) => ipToString(base + i))
}

export function newInterfaceId(rng: Rng): string {
  return `eni-${rng.hex(17)}`
}

/** CIDRs per app and region at start: stateful apps 2–5 instances, others 2–6 prefixes and 0–2 instances. */
export function initialBlocks(rng: Rng, spec: AppSpec): { prefixes: number; singles: number } {
  return spec.stateful ? { prefixes: 0, singles: rng.between(2, 5) } : { prefixes: rng.between(2, 6), singles: rng.between(0, 2) }
}
