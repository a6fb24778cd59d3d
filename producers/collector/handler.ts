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
import { admitAll, type Admission, type EventCheck } from './admit.ts'
import { AvroWriter } from '../../schemas/json-to-avro.ts'
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

/** An event the collector refused: its place in the body, its id when readable, and why. */
export interface RejectedEvent {
  index: number
  event_id?: string
  reason: string
  detail: string
}

export interface Summary {
  accepted: number
  rejected: number
  errors: RejectedEvent[]
}

export class EventHandler {
  private inFlight = 0
  /** Accepted events' Avro bytes, all requests' in one run of slabs (a record costs no allocation). */
  private readonly avro = new AvroWriter()

  constructor(private readonly deps: CollectorDeps) {}

  async handle(request: IncomingMessage, url: URL): Promise<Reply> {
    const { deps } = this
    const app = deps.keys.appOf(requestKey(request.headers.authorization, url) ?? '')
    if (app === undefined) return error(401, 'unknown or missing write key')
    const read = await readBody(request, deps.limits.maxBodyBytes)
    if (!read.ok) return error(read.status, read.message)
    const receivedAt = (deps.now ?? Date.now)()
    const admissions = admitAll(splitBody(read.body), deps.check, receivedAt, this.avro)
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
    observeSkew(accepted, receivedAt, deps.metrics)
    return { status: 200, headers: {}, body: summarise(admissions, deps.metrics) }
  }

  private track(events: number): void {
    this.inFlight += events
    this.deps.metrics.inFlightEvents.set(this.inFlight)
  }
}

/** One observation per distinct send time: a batch's events share theirs (the schema says so). */
function observeSkew(accepted: readonly Extract<Admission, { ok: true }>[], receivedAt: number, metrics: CollectorMetrics): void {
  let last: number | undefined
  for (const { event } of accepted) {
    if (event.client_send_time === last) continue
    last = event.client_send_time
    metrics.clockSkewSeconds.observe((receivedAt - last) / 1000)
  }
}

function deadLetters(app: string, admissions: readonly Admission[], receivedAt: number, deps: CollectorDeps): Row[] {
  if (admissions.every((admission) => admission.ok)) return []
  const request = randomUUID()
  return admissions.flatMap((admission, index) => {
    if (admission.ok) return []
    const rejection = { stage: 'collect', reason: admission.reason, detail: admission.detail, kind: 'client_event', source: deps.transport.name, stream: deps.stream }
    // partition: the app of the write key; position: the request and the event's place in it.
    return [deadLetterRow(rejection, admission.raw, { ingestTimeMs: receivedAt, partition: app, position: `${request}/${index}` })]
  })
}

/**
 * The answer says what happened to every event without repeating the accepted ones: each event of the
 * body is accepted unless `errors` names its index (with the reason), so a client of a thousand-event
 * batch gets a short answer and still knows which to fix.
 */
function summarise(admissions: readonly Admission[], metrics: CollectorMetrics): Summary {
  const errors: RejectedEvent[] = []
  admissions.forEach((admission, index) => {
    if (admission.ok) return
    metrics.events.inc({ result: 'rejected', reason: admission.reason })
    errors.push({ index, ...(admission.eventId === undefined ? {} : { event_id: admission.eventId }), reason: admission.reason, detail: admission.detail })
  })
  const accepted = admissions.length - errors.length
  if (accepted > 0) metrics.events.inc({ result: 'accepted', reason: '' }, accepted)
  return { accepted, rejected: errors.length, errors }
}

function error(status: number, message: string, retryAfterSeconds?: number): Reply {
  return { status, headers: retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }, body: { error: message } }
}
