// Who owned an IPv4 address at a given moment. Keeps the full history of assignment changes per
// CIDR block, so a flow is attributed to the owner at the flow's own time, not the owner now; the
// most specific block that has an owner at that time wins (longest prefix match).
import type { IpAssignment } from '../../schemas/types.ts'

export interface Owner {
  app: string
  cluster: string
  region: string
}

interface Change {
  time: number
  owner: Owner | undefined
}

export class IpOwnershipIndex {
  /** prefix length → network address → changes sorted by time. */
  private readonly byPrefix = new Map<number, Map<number, Change[]>>()
  private prefixesLongestFirst: number[] = []
  private size = 0
  /** Change ids applied, so a change learned twice (from the stream and from ClickHouse) counts once. */
  private readonly applied = new Set<string>()

  get changes(): number {
    return this.size
  }

  /** Applies a change: 'invalid' when its CIDR is not IPv4, 'known' when this change was applied before. */
  apply(assignment: IpAssignment): 'applied' | 'known' | 'invalid' {
    const block = parseCidr(assignment.cidr)
    if (block === undefined) return 'invalid'
    if (this.applied.has(assignment.change_id)) return 'known'
    this.applied.add(assignment.change_id)
    let networks = this.byPrefix.get(block.prefix)
    if (networks === undefined) {
      networks = new Map()
      this.byPrefix.set(block.prefix, networks)
      this.prefixesLongestFirst = [...this.byPrefix.keys()].sort((a, b) => b - a)
    }
    const owner = assignment.action === 'assign' ? { app: assignment.app, cluster: assignment.cluster, region: assignment.region } : undefined
    insertSorted(networks, block.network, { time: assignment.effective_time, owner })
    this.size++
    return 'applied'
  }

  ownerAt(ip: string, timeMs: number): Owner | undefined {
    const address = parseIpv4(ip)
    if (address === undefined) return undefined
    for (const prefix of this.prefixesLongestFirst) {
      const changes = this.byPrefix.get(prefix)?.get(maskAddress(address, prefix))
      if (changes === undefined) continue
      const change = lastAtOrBefore(changes, timeMs)
      if (change?.owner !== undefined) return change.owner
    }
    return undefined
  }
}

function insertSorted(networks: Map<number, Change[]>, network: number, change: Change): void {
  const changes = networks.get(network)
  if (changes === undefined) {
    networks.set(network, [change])
    return
  }
  // Changes mostly arrive in time order: append, and only walk back when one is late.
  let index = changes.length
  while (index > 0 && (changes[index - 1] as Change).time > change.time) index--
  changes.splice(index, 0, change)
}

function lastAtOrBefore(changes: readonly Change[], time: number): Change | undefined {
  let low = 0
  let high = changes.length - 1
  let found: Change | undefined
  while (low <= high) {
    const middle = (low + high) >>> 1
    const change = changes[middle] as Change
    if (change.time <= time) {
      found = change
      low = middle + 1
    } else {
      high = middle - 1
    }
  }
  return found
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined
    const octet = Number(part)
    if (octet > 255) return undefined
    value = value * 256 + octet
  }
  return value
}

export function parseCidr(text: string): { network: number; prefix: number } | undefined {
  const [ip, prefixText, ...extra] = text.split('/')
  const address = parseIpv4(ip ?? '')
  // Decimal digits only: Number() would read '' as 0 (a block covering every address), ' 8', '0x8', '1e1'.
  const prefix = prefixText === undefined ? 32 : /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : Number.NaN
  if (address === undefined || extra.length > 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined
  return { network: maskAddress(address, prefix), prefix }
}

function maskAddress(address: number, prefix: number): number {
  if (prefix === 0) return 0
  const hostBits = 32 - prefix
  return Math.floor(address / 2 ** hostBits) * 2 ** hostBits
}
