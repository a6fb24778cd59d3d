// One POST /v1/events, from the write key to the answer. The order is what keeps the promises:
// nothing is produced before the whole request is known to be allowed (key, size, rate, room), and
// the answer is 200 only once the stream has accepted every accepted event and the rejected ones are
// in dead_letters. Any failure after that point answers 503: some events may have landed, and the
// client's retry with the same event ids is dropped downstream as a duplicate.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { deadLetterRow } from '../../pipeline/dead-letter.ts'
import type { Row } from '../../pipeline/rows.ts'
import type { Transport } from '../transport.ts'
import { admit, type Admission, type EventCheck } from './admit.ts'
import { readBody } from './body.ts'
import { requestKey, type WriteKeys } from './keys.ts'
import type { CollectorMetrics } from './metrics.ts'
import type { RateLimiter } from './rate-limit.ts'
import { splitBody } from './records.ts'
import { withTimeout } from './timeout.ts'

export interface CollectorLimits {
  maxBodyBytes: number
  maxEventBytes: number
  maxInFlightEvents: number
  produceTimeoutMs: number
}

export interface CollectorDeps {
  transport: Transport
  /** The client-events stream (or topic). */
  stream: string
  keys: WriteKeys
  limiter: RateLimiter
  check: EventCheck
  /** Writes dead_letters rows durably (ClickHouse), resolving once they are acknowledged. */
  writeDeadLetters: (rows: readonly Row[]) => Promise<void>
  metrics: CollectorMetrics
  limits: CollectorLimits
  now?: () => number
}

export interface Reply {
  status: number
  headers: Record<string, string>
  body: unknown
}

export type EventResult = { status: 'accepted'; event_id: string } | { status: 'rejected'; event_id?: string; reason: string; detail: string }

export class EventHandler {
  private inFlight = 0

  constructor(private readonly deps: CollectorDeps) {}

  async handle(request: IncomingMessage, url: URL): Promise<Reply> {
    const { deps } = this
    const app = deps.keys.appOf(requestKey(request.headers.authorization, url) ?? '')
    if (app === undefined) return error(401, 'unknown or missing write key')
    const read = await readBody(request, deps.limits.maxBodyBytes)
    if (!read.ok) return error(read.status, read.message)
    const receivedAt = (deps.now ?? Date.now)()
    const admissions = splitBody(read.body).map((candidate) => admit(candidate, deps.check, receivedAt))
    if (admissions.length === 0) return error(400, 'no events in the body')
    const oversized = admissions.findIndex((admission) => admission.size > deps.limits.maxEventBytes)
    if (oversized >= 0) return error(413, `event ${oversized} is larger than ${deps.limits.maxEventBytes} bytes`)
    const rate = deps.limiter.take(app, admissions.length)
    if (!rate.allowed) return error(429, 'rate limit of this write key exceeded', rate.retryAfterSeconds)
    const accepted = admissions.filter((admission) => admission.ok)
    if (this.inFlight + accepted.length > deps.limits.maxInFlightEvents) return error(503, 'producer buffer full', 1)
    return this.deliver(app, admissions, accepted, receivedAt)
  }

  private async deliver(app: string, admissions: readonly Admission[], accepted: readonly Extract<Admission, { ok: true }>[], receivedAt: number): Promise<Reply> {
    const { deps } = this
    this.track(accepted.length)
    const started = performance.now()
    const produce = accepted.length === 0 ? Promise.resolve() : deps.transport.send(deps.stream, accepted.map((admission) => ({ key: admission.event.app_session_id, value: admission.bytes })))
    const rows = deadLetters(app, admissions, receivedAt, deps)
    const dead = rows.length === 0 ? Promise.resolve() : deps.writeDeadLetters(rows)
    try {
      await withTimeout(Promise.all([produce, dead]), deps.limits.produceTimeoutMs)
    } catch {
      return error(503, 'the stream did not accept the events in time; retry with the same event ids', 2)
    } finally {
      this.track(-accepted.length)
    }
    deps.metrics.produceSeconds.observe((performance.now() - started) / 1000)
    for (const admission of accepted) deps.metrics.clockSkewSeconds.observe((receivedAt - admission.event.client_send_time) / 1000)
    return { status: 200, headers: {}, body: summarise(admissions, deps.metrics) }
  }

  private track(events: number): void {
    this.inFlight += events
    this.deps.metrics.inFlightEvents.set(this.inFlight)
  }
}

function deadLetters(app: string, admissions: readonly Admission[], receivedAt: number, deps: CollectorDeps): Row[] {
  const request = randomUUID()
  return admissions.flatMap((admission, index) => {
    if (admission.ok) return []
    const rejection = { stage: 'collect', reason: admission.reason, detail: admission.detail, kind: 'client_event', source: deps.transport.name, stream: deps.stream }
    // partition: the app of the write key; position: the request and the event's place in it.
    return [deadLetterRow(rejection, admission.raw, { ingestTimeMs: receivedAt, partition: app, position: `${request}/${index}` })]
  })
}

function summarise(admissions: readonly Admission[], metrics: CollectorMetrics): { accepted: number; rejected: number; results: EventResult[] } {
  let acceptedCount = 0
  const results = admissions.map((admission): EventResult => {
    if (admission.ok) {
      acceptedCount++
      return { status: 'accepted', event_id: admission.event.event_id }
    }
    metrics.events.inc({ result: 'rejected', reason: admission.reason })
    return { status: 'rejected', ...(admission.eventId === undefined ? {} : { event_id: admission.eventId }), reason: admission.reason, detail: admission.detail }
  })
  if (acceptedCount > 0) metrics.events.inc({ result: 'accepted', reason: '' }, acceptedCount)
  return { accepted: acceptedCount, rejected: admissions.length - acceptedCount, results }
}

function error(status: number, message: string, retryAfterSeconds?: number): Reply {
  return { status, headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }, body: { error: message } }
}
