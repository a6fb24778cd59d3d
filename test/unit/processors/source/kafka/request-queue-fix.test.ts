import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { guardRequestQueueTimer } from '../../../../../processors/source/kafka/request-queue-fix.ts'

interface Queue {
  pending: unknown[]
  throttledUntil: number
  throttleCheckTimeoutId: NodeJS.Timeout | null
  scheduleCheckPendingRequests(): void
}
type QueueClass = new (options: Record<string, unknown>) => Queue

const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as QueueClass
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

function queue(): Queue {
  return new RequestQueue({ instrumentationEmitter: null, maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: true, clientId: 'test', broker: 'b:9092', logger: silent, isConnected: () => true })
}

describe("kafkajs's request-queue timer, guarded", () => {
  guardRequestQueueTimer()

  it('arms no timer while nothing is pending and nothing throttled', () => {
    const idle = queue()
    idle.scheduleCheckPendingRequests()
    expect(idle.throttleCheckTimeoutId).toBeNull()
  })

  it('still arms it for pending requests and for a throttle', () => {
    const busy = queue()
    busy.pending.push({})
    busy.scheduleCheckPendingRequests()
    expect(busy.throttleCheckTimeoutId).not.toBeNull()
    clearTimeout(busy.throttleCheckTimeoutId ?? undefined)

    const throttled = queue()
    throttled.throttledUntil = Date.now() + 1000
    throttled.scheduleCheckPendingRequests()
    expect(throttled.throttleCheckTimeoutId).not.toBeNull()
    clearTimeout(throttled.throttleCheckTimeoutId ?? undefined)
  })
})
