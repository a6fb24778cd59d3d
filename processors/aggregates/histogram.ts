// Fixed log-scale histogram buckets for distributions (start-up time, rebuffer time). Bucket b holds
// values in [2^(b/4), 2^((b+1)/4)) milliseconds: four buckets per doubling, about ±9% resolution,
// the same buckets everywhere so partial histograms add up; quantiles are computed at query time.

export const BUCKETS_PER_DOUBLING = 4

export function logBucket(value: number): number {
  if (value < 1) return 0
  return Math.floor(Math.log2(value) * BUCKETS_PER_DOUBLING)
}

/** Lower bound of a bucket, for turning buckets back into values at query time. */
export function bucketLowerBound(bucket: number): number {
  return bucket === 0 ? 0 : 2 ** (bucket / BUCKETS_PER_DOUBLING)
}
