// `pulse leases` output: one line per shard with its owner and state, children waiting on parents
// shown as such, and a summary of how many leases each worker holds.
import { describe, expect, it } from 'vitest'
import { formatLeases } from '../../../cli/leases.ts'
import type { Lease } from '../../../processors/source/kinesis/lease-table.ts'

const base: Lease = { key: 's/a', stream: 's', shard: 'a', parents: [], owner: '', counter: 3, renewedAt: 0, finished: false, stealer: undefined, readingSince: undefined }

describe('formatLeases', () => {
  it('shows owners, states and the spread', () => {
    const text = formatLeases(
      [
        { ...base, owner: 'w1', renewedAt: 9000, readingSince: 1000 },
        { ...base, key: 's/b', shard: 'b', owner: 'w2', renewedAt: 9500, stealer: 'w3', readingSince: 2000 },
        { ...base, key: 's/e', shard: 'e', owner: 'w3', renewedAt: 9800 },
        { ...base, key: 's/c', shard: 'c', finished: true },
        { ...base, key: 's/d', shard: 'd', parents: ['a'] },
      ],
      10_000,
    )
    const lines = text.split('\n')
    expect(lines[1]).toMatch(/^s\s+a\s+w1\s+3\s+held\s+1\.0s ago$/)
    expect(lines[2]).toMatch(/held, asked for by w3\s+0\.5s ago$/)
    expect(lines[3]).toMatch(/finished/)
    expect(lines[4]).toMatch(/waiting on parents/)
    expect(lines[5]).toMatch(/^s\s+e\s+w3\s+3\s+held, starting\s+0\.2s ago$/)
    expect(text).toContain('5 leases; held by w1: 1, w2: 1, w3: 1')
  })
})
