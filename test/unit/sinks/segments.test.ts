// Backpressure's choice of block: sealing the largest open block (never one held for a forced cut)
// relieves memory without cutting every partition's block short.
import { describe, expect, it } from 'vitest'
import { PartitionSegments, type DerivedRow } from '../../../sinks/clickhouse/segments.ts'

const rows = (n: number): DerivedRow[] => Array.from({ length: n }, (_, i) => ({ table: 'client_events', row: { i } }))

describe('PartitionSegments.sealLargest', () => {
  it('seals only the open block with the most rows', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.append('s/0', '1', rows(5), 0)
    segments.append('s/1', '1', rows(10), 0)
    segments.append('s/2', '1', rows(3), 0)
    expect(segments.sealLargest()).toBe(true)
    expect(segments.takeSealed(0).map((segment) => [segment.partition, segment.rowCount])).toEqual([['s/1', 10]])
    expect(segments.bufferedRows).toBe(18)
  })

  it('leaves a partition waiting for its forced cut alone, and says when nothing can be sealed', () => {
    const segments = new PartitionSegments({ batchRows: 1000, flushIntervalMs: 60_000 })
    segments.forceCut('s/0', '9')
    segments.append('s/0', '1', rows(50), 0)
    segments.append('s/1', '1', rows(2), 0)
    expect(segments.sealLargest()).toBe(true)
    expect(segments.takeSealed(0).map((segment) => segment.partition)).toEqual(['s/1'])
    expect(segments.sealLargest()).toBe(false)
  })
})
