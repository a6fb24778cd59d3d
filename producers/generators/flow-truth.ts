// Ground truth of the flow generator: every ownership change it made, per CIDR, in effective order.
// Tests ask it who owned an address at a time and compare with what the pipeline's enrichment said.
import type { IpOwner } from './flow-fleet.ts'
import { networkOf, parseIp } from './ip.ts'

export interface FleetTruth {
  /** Who owned ip at timeMs, per the changes generated so far; null when nobody (enrichment's "unknown"). */
  ownerAt(ip: string, timeMs: number): IpOwner | null
  /** The fleet CIDR that contains ip, or null for addresses outside the fleet. */
  cidrOf(ip: string): string | null
  /** The port an app serves on, so attribution can be checked against a flow's dst_port. */
  servicePort(app: string): number | undefined
  /** Every CIDR the fleet has held. */
  cidrs(): string[]
}

interface Change {
  effective: number
  owner: IpOwner | null
}

export class AssignmentTimeline implements FleetTruth {
  private readonly changes = new Map<string, Change[]>()
  /** CIDR text by network address, one map per prefix length in use (longest first). */
  private readonly byPrefix = new Map<number, Map<number, string>>()
  private prefixes: number[] = []

  constructor(private readonly ports: ReadonlyMap<string, number>) {}

  /** Records a change; changes of one CIDR must come in effective order, as they would from an inventory. */
  record(cidr: string, base: number, prefix: number, effective: number, owner: IpOwner | null): void {
    let list = this.changes.get(cidr)
    if (list === undefined) {
      list = []
      this.changes.set(cidr, list)
      this.index(cidr, base, prefix)
    }
    const last = list[list.length - 1]
    if (last !== undefined && effective < last.effective) {
      throw new Error(`change of ${cidr} at ${effective} predates the previous one at ${last.effective}`)
    }
    list.push({ effective, owner })
  }

  ownerAt(ip: string, timeMs: number): IpOwner | null {
    const cidr = this.cidrOf(ip)
    const list = cidr === null ? undefined : this.changes.get(cidr)
    if (list === undefined) return null
    // Last change at or before timeMs; on equal times the later-recorded one wins.
    let low = 0
    let high = list.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((list[mid]?.effective ?? Infinity) <= timeMs) low = mid + 1
      else high = mid
    }
    return list[low - 1]?.owner ?? null
  }

  cidrOf(ip: string): string | null {
    const address = parseIp(ip)
    if (address === null) return null
    for (const prefix of this.prefixes) {
      const cidr = this.byPrefix.get(prefix)?.get(networkOf(address, prefix))
      if (cidr !== undefined) return cidr
    }
    return null
  }

  servicePort(app: string): number | undefined {
    return this.ports.get(app)
  }

  cidrs(): string[] {
    return [...this.changes.keys()]
  }

  private index(cidr: string, base: number, prefix: number): void {
    let map = this.byPrefix.get(prefix)
    if (map === undefined) {
      map = new Map()
      this.byPrefix.set(prefix, map)
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => b - a)
    }
    map.set(base, cidr)
  }
}
