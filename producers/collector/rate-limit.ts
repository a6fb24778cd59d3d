// Per-app token buckets: each write key may send `ratePerSecond` events on average and bursts of twice
// that. A request that does not fit is refused whole (429) with the wait until it would fit, so a
// client backs off instead of having part of its batch dropped.

export interface RateDecision {
  allowed: boolean
  /** Seconds until the request would fit, when refused (at least 1: Retry-After is whole seconds). */
  retryAfterSeconds: number
}

interface Bucket {
  tokens: number
  updatedMs: number
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly burst: number

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = ratePerSecond * 2
  }

  take(app: string, events: number): RateDecision {
    const bucket = this.refilled(app)
    if (events <= bucket.tokens) {
      bucket.tokens -= events
      return { allowed: true, retryAfterSeconds: 0 }
    }
    // A batch larger than the burst can never fit: the wait tells the client to send smaller ones soon.
    const missing = Math.min(events, this.burst) - bucket.tokens
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(missing / this.ratePerSecond)) }
  }

  private refilled(app: string): Bucket {
    const nowMs = this.now()
    let bucket = this.buckets.get(app)
    if (bucket === undefined) {
      bucket = { tokens: this.burst, updatedMs: nowMs }
      this.buckets.set(app, bucket)
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.ratePerSecond)
    bucket.updatedMs = nowMs
    return bucket
  }
}
