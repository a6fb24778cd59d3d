// Source positions compare as the decimal numbers they are, including Kinesis sequence numbers far
// beyond Number.MAX_SAFE_INTEGER.

import { describe, expect, it } from 'vitest'
import { comparePositions } from '../../../pipeline/position.ts'

/** The sign of comparePositions, checked against BigInt's own comparison. */
function order(a: string, b: string): number {
  return Math.sign(comparePositions(a, b))
}

const KINESIS = '49590338271490256608559692538361571095921575989136588898' // 56 digits

describe('comparePositions', () => {
  it('is zero for equal positions', () => {
    expect(order('0', '0')).toBe(0)
    expect(order(KINESIS, KINESIS)).toBe(0)
  })

  it('orders Kafka offsets numerically, not lexically', () => {
    expect(order('9', '10')).toBe(-1)
    expect(order('10', '9')).toBe(1)
    expect(order('199', '1000')).toBe(-1)
  })

  it('orders a 56-digit sequence number after any shorter one', () => {
    expect(KINESIS).toHaveLength(56)
    expect(order(KINESIS, '9'.repeat(55))).toBe(1)
    expect(order('12345', KINESIS)).toBe(-1)
  })

  it('orders sequence numbers that differ beyond double precision', () => {
    const next = (BigInt(KINESIS) + 1n).toString()
    // As JS numbers these two are equal; as positions they are not.
    expect(Number(next)).toBe(Number(KINESIS))
    expect(order(KINESIS, next)).toBe(-1)
    expect(order(next, KINESIS)).toBe(1)
  })

  it('agrees with BigInt on a spread of positions', () => {
    const positions = ['0', '1', '9', '10', '11', '99', '100', '4294967296', '9007199254740993', KINESIS, (BigInt(KINESIS) * 3n).toString().slice(0, 56)]
    for (const a of positions) {
      for (const b of positions) {
        const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0
        expect(order(a, b), `${a} vs ${b}`).toBe(expected)
      }
    }
  })

  it('sorts positions when used as a comparator', () => {
    const sorted = ['100', KINESIS, '2', '10', '1'].sort(comparePositions)
    expect(sorted).toEqual(['1', '2', '10', '100', KINESIS])
  })
})
