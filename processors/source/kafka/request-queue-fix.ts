// kafkajs 2.2.4 (its last release) re-arms a timer on every connection each time its request queue is
// checked, even with nothing pending and no throttle: `throttledUntil - Date.now()` is then about
// -Date.now(), so the timer fires after 1 ms and re-arms itself for ever (kafkajs#1704), which on
// Node 24 also prints a TimeoutNegativeWarning (kafkajs#1751). Measured here, an idle consumer spent
// ~32 ms of CPU a second on it, ~4 ms with this guard. The guard skips only that case: pushes that
// find the queue full or throttled still schedule the check, as before.
import { createRequire } from 'node:module'

interface RequestQueueState {
  pending: readonly unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: unknown
}

type Schedule = (this: RequestQueueState) => void

const GUARDED = Symbol.for('pulse.kafkajs.requestQueueGuard')

export function guardRequestQueueTimer(): void {
  const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as { prototype: Record<string | symbol, unknown> }
  const prototype = RequestQueue.prototype
  if (prototype[GUARDED] === true) return
  const original = prototype.scheduleCheckPendingRequests as Schedule
  prototype.scheduleCheckPendingRequests = function (this: RequestQueueState): void {
    if (this.pending.length === 0 && this.throttledUntil - Date.now() <= 0) return
    original.call(this)
  } satisfies Schedule
  prototype[GUARDED] = true
}
