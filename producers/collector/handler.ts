// One POST /v1/events, from the write key to the answer. The order is what keeps the promises:
// nothing is produced before the whole request is known to be allowed (key, size, rate, room), and
// the answer is 200 only once the stream has accepted every accepted event and the rejected ones are
// in dead_letters. Any failure after that point answers 503: some events may have landed, and the
// client's retry with the same event ids is dropped downstream as a duplicate.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { deadLetterRow } from '../../pipeline/dead-letter.ts'
import type { Row } from '../../pipeline/rows.ts'
import type { OutgoingRecord, Transport } from '../transport.ts'
import { admitAll, type Admission, type EventCheck } from './admit.ts'
import { AvroWriter } from '../../schemas/json-to-avro.ts'
import { readBody } from './body.ts'
import { requestKey, type WriteKeys } from './keys.ts'
import type { CollectorMetrics } from './metrics.ts'
import type { RateLimiter } from './rate-limit.ts'
import { splitBody } from './records.ts'
import { Deadlines } from './timeout.ts'

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
  headers: Readonly<Record<string, string>>
  body: unknown
}

/** The headers of an answer that needs none of its own (one shared object, which the server recognises). */
export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({})

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
  private readonly deadlines: Deadlines

  constructor(private readonly deps: CollectorDeps) {
    this.deadlines = new Deadlines(deps.limits.produceTimeoutMs)
  }

  /** `requestUrl` is the request's target (path and query), read for `?key=` only when no Bearer key came. */
  async handle(request: IncomingMessage, requestUrl: string): Promise<Reply> {
    const { deps } = this
    const app = deps.keys.appOf(requestKey(request.headers.authorization, requestUrl) ?? '')
    if (app === undefined) return error(401, 'unknown or missing write key')
    const read = await readBody(request, deps.limits.maxBodyBytes)
    if (!read.ok) return error(read.status, read.message)
    const receivedAt = (deps.now ?? Date.now)()
    const admissions = admitAll(splitBody(read.body), deps.check, receivedAt, this.avro)
    if (admissions.length === 0) return error(400, 'no events in the body')
    const tally = tallyOf(admissions, deps.limits.maxEventBytes)
    if (tally.oversized >= 0) return error(413, `event ${tally.oversized} is larger than ${deps.limits.maxEventBytes} bytes`)
    const rate = deps.limiter.take(app, admissions.length)
    if (!rate.allowed) return error(429, 'rate limit of this write key exceeded', rate.retryAfterSeconds)
    if (this.inFlight + tally.accepted > deps.limits.maxInFlightEvents) return error(503, 'producer buffer full', 1)
    return this.deliver(app, admissions, tally, receivedAt)
  }

  private async deliver(app: string, admissions: readonly Admission[], tally: Tally, receivedAt: number): Promise<Reply> {
    const { deps } = this
    this.track(tally.accepted)
    const started = performance.now()
    const produce = tally.accepted === 0 ? undefined : deps.transport.send(deps.stream, outgoing(admissions, tally.accepted))
    const rows = tally.accepted === admissions.length ? [] : deadLetters(app, admissions, receivedAt, deps)
    const dead = rows.length === 0 ? undefined : deps.writeDeadLetters(rows)
    try {
      const both = produce !== undefined && dead !== undefined ? Promise.all([produce, dead]).then(() => undefined) : (produce ?? dead)
      if (both !== undefined) await this.deadlines.within(both)
    } catch {
      return error(503, 'the stream did not accept the events in time; retry with the same event ids', 2)
    } finally {
      this.track(-tally.accepted)
    }
    deps.metrics.produceSeconds.observe((performance.now() - started) / 1000)
    observeSkew(admissions, receivedAt, deps.metrics)
    return { status: 200, headers: NO_HEADERS, body: summarise(admissions, tally.accepted, deps.metrics) }
  }

  private track(events: number): void {
    this.inFlight += events
    this.deps.metrics.inFlightEvents = this.inFlight
  }
}

/** What the checks before producing need, in one pass over the verdicts. */
interface Tally {
  /** Index of the first event over the size limit; -1 when none is. */
  oversized: number
  accepted: number
}

function tallyOf(admissions: readonly Admission[], maxEventBytes: number): Tally {
  let oversized = -1
  let accepted = 0
  for (let i = 0; i < admissions.length; i++) {
    const admission = admissions[i] as Admission
    if (oversized < 0 && admission.size > maxEventBytes) oversized = i
    if (admission.ok) accepted++
  }
  return { oversized, accepted }
}

/** The stream's records: accepted events' bytes, keyed by app session (one session's events stay in order). */
function outgoing(admissions: readonly Admission[], accepted: number): OutgoingRecord[] {
  const records = new Array<OutgoingRecord>(accepted)
  let at = 0
  for (const admission of admissions) if (admission.ok) records[at++] = { key: admission.event.app_session_id, value: admission.bytes }
  return records
}

/** One observation per distinct send time: a batch's events share theirs (the schema says so). */
function observeSkew(admissions: readonly Admission[], receivedAt: number, metrics: CollectorMetrics): void {
  let last: number | undefined
  for (const admission of admissions) {
    if (!admission.ok || admission.event.client_send_time === last) continue
    last = admission.event.client_send_time
    metrics.clockSkewSeconds.observe((receivedAt - last) / 1000)
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

/**
 * The answer says what happened to every event without repeating the accepted ones: each event of the
 * body is accepted unless `errors` names its index (with the reason), so a client of a thousand-event
 * batch gets a short answer and still knows which to fix.
 */
function summarise(admissions: readonly Admission[], accepted: number, metrics: CollectorMetrics): Summary {
  const errors: RejectedEvent[] = []
  if (accepted < admissions.length) {
    admissions.forEach((admission, index) => {
      if (admission.ok) return
      metrics.rejectedEvent(admission.reason)
      errors.push({ index, ...(admission.eventId === undefined ? {} : { event_id: admission.eventId }), reason: admission.reason, detail: admission.detail })
    })
  }
  if (accepted > 0) metrics.acceptedEvents(accepted)
  return { accepted, rejected: errors.length, errors }
}

function error(status: number, message: string, retryAfterSeconds?: number): Reply {
  return { status, headers: retryAfterSeconds === undefined ? NO_HEADERS : { 'Retry-After': String(retryAfterSeconds) }, body: { error: message } }
}
