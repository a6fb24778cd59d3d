// A histogram's observations as plain bucket counts, a sum and a count, added to a prom-client
// Histogram (one without labels) when it is read. prom-client's observe hashes and validates labels
// and turns the bound into a property key on every call; this costs a short loop over the bounds.
//
// prom-client has no public way to add counts to a bucket, so the fold writes the histogram's own
// entry, whose shape (bucketValues keyed by bound, sum, count) is checked on every fold: a prom-client
// that stores it differently fails loudly, and test/unit/producers/collector/metrics.test.ts holds the
// exposed text to what observe() itself gives.
import type { Histogram } from 'prom-client'

interface Entry {
  bucketValues: Record<string, number>
  sum: number
  count: number
}

export class HistogramTally {
  /** Observations per bucket (value <= bound, above the previous one); the last slot is above every bound. */
  private readonly counts: Float64Array
  private sum = 0
  private count = 0

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  /** Non-finite values are ignored (prom-client's observe throws on them; none of ours can be one). */
  observe(value: number): void {
    if (!Number.isFinite(value)) return
    const { bounds } = this
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + 1
    this.sum += value
    this.count++
  }

  /** Adds what was observed since the last fold to `histogram` (built with the same bounds). */
  foldInto(histogram: Histogram): void {
    if (this.count === 0) return
    const entry = entryOf(histogram)
    this.bounds.forEach((bound, i) => {
      // prom-client counts a value only in its own bucket and adds the buckets up when exporting.
      entry.bucketValues[String(bound)] = (entry.bucketValues[String(bound)] ?? 0) + (this.counts[i] as number)
    })
    entry.sum += this.sum
    entry.count += this.count
    this.counts.fill(0)
    this.sum = 0
    this.count = 0
  }
}

/** The label-less entry prom-client keeps under the key '' (made again after a reset by zero({})). */
function entryOf(histogram: Histogram): Entry {
  const internals = histogram as unknown as { hashMap?: Record<string, unknown> }
  if (internals.hashMap?.[''] === undefined) histogram.zero({})
  const entry = internals.hashMap?.['']
  if (!isEntry(entry)) throw new Error('prom-client Histogram no longer keeps {bucketValues, sum, count} under hashMap[""]: HistogramTally needs updating')
  return entry
}

function isEntry(value: unknown): value is Entry {
  if (typeof value !== 'object' || value === null) return false
  const entry = value as Partial<Entry>
  return typeof entry.bucketValues === 'object' && typeof entry.sum === 'number' && typeof entry.count === 'number'
}
