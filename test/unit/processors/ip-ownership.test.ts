// IP ownership as of a moment: the owner at the flow's own time, the most specific owned block
// winning, whatever order the changes arrive in.

import { describe, expect, it } from 'vitest'
import { IpOwnershipIndex, parseCidr, parseIpv4, type Owner } from '../../../processors/enrich/ip-ownership.ts'
import type { IpAssignment } from '../../../schemas/types.ts'

const T = 1_700_000_000_000

const owner = (app: string): Owner => ({ app, cluster: `${app}-cluster`, region: 'eu-west-1' })

let changeCount = 0
function assign(cidr: string, app: string, time: number): IpAssignment {
  return { change_id: `chg-${++changeCount}`, cidr, action: 'assign', ...owner(app), effective_time: time }
}

function release(cidr: string, time: number): IpAssignment {
  return { change_id: `chg-${++changeCount}`, cidr, action: 'release', app: '', cluster: '', region: '', effective_time: time }
}

function index(...changes: IpAssignment[]): IpOwnershipIndex {
  const built = new IpOwnershipIndex()
  for (const change of changes) expect(built.apply(change)).toBe('applied')
  return built
}

describe('as-of lookups', () => {
  const reassigned = (): IpOwnershipIndex => index(assign('10.0.0.0/24', 'api', T), assign('10.0.0.0/24', 'billing', T + 1000))

  it('knows no owner before the first assignment', () => {
    expect(reassigned().ownerAt('10.0.0.5', T - 1)).toBeUndefined()
  })

  it('takes an assignment effective from its exact time', () => {
    expect(reassigned().ownerAt('10.0.0.5', T)).toEqual(owner('api'))
  })

  it('keeps the old owner up to the millisecond before a reassignment and the new one from it', () => {
    const ownership = reassigned()
    expect(ownership.ownerAt('10.0.0.5', T + 999)).toEqual(owner('api'))
    expect(ownership.ownerAt('10.0.0.5', T + 1000)).toEqual(owner('billing'))
    expect(ownership.ownerAt('10.0.0.5', T + 10_000_000)).toEqual(owner('billing'))
  })

  it('covers exactly the block: neighbours outside it have no owner', () => {
    const ownership = reassigned()
    expect(ownership.ownerAt('10.0.0.0', T)).toEqual(owner('api'))
    expect(ownership.ownerAt('10.0.0.255', T)).toEqual(owner('api'))
    expect(ownership.ownerAt('10.0.1.0', T)).toBeUndefined()
    expect(ownership.ownerAt('9.255.255.255', T)).toBeUndefined()
  })

  it('counts the changes applied', () => {
    expect(reassigned().changes).toBe(2)
  })
})

describe('release', () => {
  it('makes the block unknown from the release on, and only from then', () => {
    const ownership = index(assign('10.0.0.0/24', 'api', T), release('10.0.0.0/24', T + 500))
    expect(ownership.ownerAt('10.0.0.5', T + 499)).toEqual(owner('api'))
    expect(ownership.ownerAt('10.0.0.5', T + 500)).toBeUndefined()
  })

  it('lets a later assignment take the block again', () => {
    const ownership = index(assign('10.0.0.7', 'api', T), release('10.0.0.7', T + 500), assign('10.0.0.7', 'search', T + 900))
    expect(ownership.ownerAt('10.0.0.7', T + 700)).toBeUndefined()
    expect(ownership.ownerAt('10.0.0.7', T + 900)).toEqual(owner('search'))
  })

  it('of a specific block falls back to the enclosing block that still has an owner', () => {
    const ownership = index(assign('10.0.0.0/16', 'platform', T), assign('10.0.3.4/32', 'db', T), release('10.0.3.4/32', T + 100))
    expect(ownership.ownerAt('10.0.3.4', T + 50)).toEqual(owner('db'))
    expect(ownership.ownerAt('10.0.3.4', T + 100)).toEqual(owner('platform'))
  })
})

describe('longest prefix match', () => {
  // 10.20.0.0/16 ⊃ 10.20.30.32/28 (.32-.47) ⊃ 10.20.30.40/32
  const nested = (): IpOwnershipIndex =>
    index(assign('10.20.0.0/16', 'platform', T), assign('10.20.30.32/28', 'streaming', T), assign('10.20.30.40/32', 'edge', T))

  it('picks the /32 for its own address', () => {
    expect(nested().ownerAt('10.20.30.40', T)).toEqual(owner('edge'))
  })

  it('picks the /28 for its other addresses, at both ends', () => {
    const ownership = nested()
    expect(ownership.ownerAt('10.20.30.32', T)).toEqual(owner('streaming'))
    expect(ownership.ownerAt('10.20.30.41', T)).toEqual(owner('streaming'))
    expect(ownership.ownerAt('10.20.30.47', T)).toEqual(owner('streaming'))
  })

  it('picks the /16 just outside the /28', () => {
    const ownership = nested()
    expect(ownership.ownerAt('10.20.30.31', T)).toEqual(owner('platform'))
    expect(ownership.ownerAt('10.20.30.48', T)).toEqual(owner('platform'))
    expect(ownership.ownerAt('10.20.255.255', T)).toEqual(owner('platform'))
  })

  it('does not depend on the order blocks were first seen in', () => {
    const ownership = index(assign('10.20.30.40/32', 'edge', T), assign('10.20.0.0/16', 'platform', T), assign('10.20.30.32/28', 'streaming', T))
    expect(ownership.ownerAt('10.20.30.40', T)).toEqual(owner('edge'))
    expect(ownership.ownerAt('10.20.30.33', T)).toEqual(owner('streaming'))
    expect(ownership.ownerAt('10.20.1.1', T)).toEqual(owner('platform'))
  })

  it('uses the less specific block while the more specific one has no owner yet', () => {
    const ownership = index(assign('10.20.0.0/16', 'platform', T), assign('10.20.30.40/32', 'edge', T + 1000))
    expect(ownership.ownerAt('10.20.30.40', T + 999)).toEqual(owner('platform'))
    expect(ownership.ownerAt('10.20.30.40', T + 1000)).toEqual(owner('edge'))
  })

  it('treats a /0 block as the owner of every address', () => {
    const ownership = index(assign('0.0.0.0/0', 'internet', T))
    expect(ownership.ownerAt('203.0.113.9', T)).toEqual(owner('internet'))
    expect(ownership.ownerAt('255.255.255.255', T)).toEqual(owner('internet'))
  })
})

describe('changes applied out of order', () => {
  it('answers as if they had arrived in time order', () => {
    const inOrder = [assign('10.0.0.0/24', 'a', T), assign('10.0.0.0/24', 'b', T + 100), release('10.0.0.0/24', T + 200), assign('10.0.0.0/24', 'c', T + 300)]
    const shuffled = [inOrder[2], inOrder[0], inOrder[3], inOrder[1]] as IpAssignment[]
    const expected: [number, string | undefined][] = [
      [T - 1, undefined],
      [T, 'a'],
      [T + 99, 'a'],
      [T + 100, 'b'],
      [T + 199, 'b'],
      [T + 200, undefined],
      [T + 299, undefined],
      [T + 300, 'c'],
    ]
    for (const changes of [inOrder, shuffled, [...inOrder].reverse()]) {
      const ownership = index(...changes)
      for (const [time, app] of expected) expect(ownership.ownerAt('10.0.0.1', time)?.app, `at T+${time - T}`).toBe(app)
    }
  })
})

describe('input that is not IPv4', () => {
  it('has no owner for an IPv6 or malformed address', () => {
    const ownership = index(assign('0.0.0.0/0', 'internet', T))
    for (const ip of ['2001:db8::1', '::ffff:10.0.0.1', '', '10.0.0', '10.0.0.1.2', '10.0.0.256', '10.0.0.-1', '10.0.0.1 ', 'a.b.c.d']) {
      expect(ownership.ownerAt(ip, T), ip).toBeUndefined()
    }
  })

  it('refuses an assignment whose CIDR is not IPv4, and does not count it', () => {
    const ownership = new IpOwnershipIndex()
    expect(ownership.apply(assign('2001:db8::/32', 'v6', T))).toBe('invalid')
    expect(ownership.apply(assign('10.0.0.0/33', 'wide', T))).toBe('invalid')
    expect(ownership.changes).toBe(0)
  })
})

describe('parseIpv4', () => {
  it('reads an address as its 32-bit unsigned value', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0)
    expect(parseIpv4('10.1.2.3')).toBe(((10 * 256 + 1) * 256 + 2) * 256 + 3)
    expect(parseIpv4('255.255.255.255')).toBe(2 ** 32 - 1)
  })
})

describe('parseCidr', () => {
  it('masks the host bits off the address', () => {
    expect(parseCidr('10.1.2.3/24')).toEqual({ network: parseIpv4('10.1.2.0'), prefix: 24 })
    expect(parseCidr('10.1.2.3/16')).toEqual({ network: parseIpv4('10.1.0.0'), prefix: 16 })
    expect(parseCidr('10.20.30.47/28')).toEqual({ network: parseIpv4('10.20.30.32'), prefix: 28 })
    expect(parseCidr('255.255.255.255/1')).toEqual({ network: 2 ** 31, prefix: 1 })
    expect(parseCidr('1.2.3.4/0')).toEqual({ network: 0, prefix: 0 })
  })

  it('reads a bare address as a /32', () => {
    expect(parseCidr('10.1.2.3')).toEqual({ network: parseIpv4('10.1.2.3'), prefix: 32 })
  })

  it('refuses prefixes that are not 0..32 written in decimal', () => {
    for (const text of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8.5', '10.0.0.0/', '10.0.0.0/ 8', '10.0.0.0/0x8', '10.0.0.0/1e1', '10.0.0.0/8/9']) {
      expect(parseCidr(text), text).toBeUndefined()
    }
  })

  it('refuses addresses that are not IPv4', () => {
    expect(parseCidr('2001:db8::/32')).toBeUndefined()
    expect(parseCidr('10.0.0/8')).toBeUndefined()
    expect(parseCidr('300.0.0.0/8')).toBeUndefined()
  })
})

describe('changes learned twice', () => {
  it('are applied once: the stream and ClickHouse may both deliver a change', () => {
    const ownership = new IpOwnershipIndex()
    const change = assign('10.9.0.0/16', 'billing', T)
    expect(ownership.apply(change)).toBe('applied')
    expect(ownership.apply({ ...change })).toBe('known')
    expect(ownership.changes).toBe(1)
    expect(ownership.ownerAt('10.9.1.1', T)?.app).toBe('billing')
  })
})
