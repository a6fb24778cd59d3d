// The run summary's accounting: every produced record is in exactly one named outcome.
import { describe, expect, it } from 'vitest'
import { formatSummary, outcomeOf } from '../../../cli/summary.ts'
import type { Totals } from '../../../cli/status.ts'

const totals: Totals = { produced: 1000, processed: 990, rowsWritten: 0, deadLetters: 9, duplicates: 20, tooLate: 4, rejected: 5, behindMs: 0, bufferedRows: 0 }

describe('run summary', () => {
  it('splits what was produced into outcomes that add up', () => {
    const outcome = outcomeOf(totals)
    expect(outcome).toEqual({ produced: 1000, aggregated: 961, tooLate: 4, duplicates: 20, rejected: 5, unprocessed: 10 })
    expect(outcome.aggregated + outcome.tooLate + outcome.duplicates + outcome.rejected + outcome.unprocessed).toBe(outcome.produced)
  })

  it("names each outcome, the run's rows per raw table and the run's data directory", () => {
    const text = formatSummary(outcomeOf(totals), 12.3, new Map([['client_events', 965]]), { database: 'pulse', dataDir: '/tmp/run' })
    expect(text).toContain('produced 1,000 records: 961 stored and aggregated, 4 stored too late for the aggregates, 20 duplicate ids dropped, 5 rejected to dead_letters, 10 left on the stream')
    expect(text).toContain('client_events 965')
    expect(text).toContain('npx pulse query --data-dir /tmp/run "SELECT')
  })
})
