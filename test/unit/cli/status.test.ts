// The live status line: rates are the change in each total over the interval, not the totals.

import { describe, expect, it } from 'vitest'
import { formatStatus, type Totals } from '../../../cli/status.ts'

const totals = (overrides: Partial<Totals> = {}): Totals => ({ produced: 0, processed: 0, rowsWritten: 0, deadLetters: 0, duplicates: 0, tooLate: 0, rejected: 0, behindMs: 0, bufferedRows: 0, ...overrides })

/** The line's fields by their leading word, so a test reads the one it checks. */
function field(line: string, name: string): string | undefined {
  return line.split(' | ').find((part) => part.startsWith(name))
}

describe('formatStatus', () => {
  it('computes each rate as (now - before) / interval', () => {
    const before = totals({ produced: 10_000, processed: 9_000, rowsWritten: 8_000 })
    const now = totals({ produced: 13_000, processed: 11_000, rowsWritten: 8_500 })
    const line = formatStatus(12, now, before, 2)
    expect(field(line, 'produced')).toBe('produced 1,500/s') // 3,000 over 2 s
    expect(field(line, 'processed')).toBe('processed 1,000/s') // 2,000 over 2 s
    expect(field(line, 'rows written')).toBe('rows written 250/s') // 500 over 2 s
  })

  it('gives the same rate for the same traffic over a longer interval', () => {
    const one = formatStatus(1, totals({ produced: 700 }), totals(), 1)
    const five = formatStatus(5, totals({ produced: 3_500 }), totals(), 5)
    expect(field(one, 'produced')).toBe('produced 700/s')
    expect(field(five, 'produced')).toBe('produced 700/s')
  })

  it('rounds rates to whole records per second', () => {
    const line = formatStatus(3, totals({ processed: 1000 }), totals(), 3) // 333.3…
    expect(field(line, 'processed')).toBe('processed 333/s')
  })

  it('is zero when nothing moved, whatever the totals', () => {
    const same = totals({ produced: 5_000_000, processed: 5_000_000, rowsWritten: 4_000_000 })
    const line = formatStatus(60, same, same, 1)
    expect(field(line, 'produced')).toBe('produced 0/s')
    expect(field(line, 'processed')).toBe('processed 0/s')
    expect(field(line, 'rows written')).toBe('rows written 0/s')
  })

  it('shows dead letters and buffered rows as totals, and lag in seconds', () => {
    const line = formatStatus(7, totals({ deadLetters: 12_345, bufferedRows: 2_000, behindMs: 2_500 }), totals({ deadLetters: 12_000 }), 1)
    expect(field(line, 'dead letters')).toBe('dead letters 12,345')
    expect(field(line, 'behind')).toBe('behind 2.5s')
    expect(field(line, 'buffered')).toBe('buffered 2,000 rows')
  })

  it('opens with the elapsed seconds, padded so the line does not shift', () => {
    expect(formatStatus(7, totals(), totals(), 1).startsWith('[   7s] | ')).toBe(true)
    expect(formatStatus(1234.4, totals(), totals(), 1).startsWith('[1234s] | ')).toBe(true)
  })
})

describe('status line per role', () => {
  const now = totals({ produced: 500, processed: 300, rowsWritten: 200, deadLetters: 2, bufferedRows: 40 })
  it('shows a producer what it produced, and nothing of processing', () => {
    expect(formatStatus(3, now, totals(), 1, 'kinesis', 'produce')).toBe('[   3s] | produced 500/s | total 500 records')
  })
  it('shows a processor its processing, and nothing of production', () => {
    const line = formatStatus(3, now, totals(), 1, 'kafka', 'process')
    expect(line).toBe('[   3s] | processed 300/s | rows written 200/s | dead letters 2 | lag 0 records | buffered 40 rows')
  })
})
