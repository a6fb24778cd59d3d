// Seeded client-event traffic: Poisson arrivals at ratePerSecond, each stepping one viewer's state
// machine by one event, then client send delays (batching, offline devices, retries) and send-time order.
import type { ClientEvent } from '../../schemas/types.ts'
import type { Generated, Traffic } from '../traffic.ts'
import { browse, startSession } from './client-browse.ts'
import { resolveClientOptions } from './client-options.ts'
import type { ClientTrafficOptions, ResolvedClientOptions } from './client-options.ts'
import { stepAutoplay, stepEnding, stepPaused, stepPlaying, stepStalled, stepStarting } from './client-playback.ts'
import { Rng } from './random.ts'
import { SendQueue } from './send-queue.ts'
import { AUTOPLAY, BROWSING, ENDING, OFFLINE, PAUSED, PLAYING, STALLED, STARTING, TitleCatalog, createViewers } from './viewer.ts'
import type { SimContext, Viewer } from './viewer.ts'
import { ViewerPool } from './viewer-pool.ts'

export type ClientGenerated = Extract<Generated, { kind: 'client_event' }>

export interface ClientTraffic extends Traffic {
  next(): ClientGenerated
  readonly options: ResolvedClientOptions
}

/** Late sends: a device that was offline sends after this median delay (capped at maxLateMs). */
const LATE_MEDIAN_MS = 45_000
/** First app sessions spread over this mean time; the pool wakes viewers sooner when the rate needs them. */
const FIRST_SESSION_SPREAD_MS = 3_600_000
/** A retried send goes out between these many ms after the first one. */
const RETRY_MIN_MS = 200
const RETRY_MAX_MS = 15_000

export function createClientTraffic(options: ClientTrafficOptions = {}): ClientTraffic {
  return new ClientTrafficSource(resolveClientOptions(options))
}

/** The first `count` records for these options: a pure function of the options, for tests and checks. */
export function generateClientTraffic(options: ClientTrafficOptions, count: number): ClientGenerated[] {
  const traffic = createClientTraffic(options)
  const records: ClientGenerated[] = []
  for (let i = 0; i < count; i++) records.push(traffic.next())
  return records
}

class ClientTrafficSource implements ClientTraffic, SimContext {
  readonly rng: Rng
  readonly sched: ViewerPool
  readonly titles: TitleCatalog
  readonly seed: number
  private readonly arrivalRng: Rng
  private readonly sendRng: Rng
  private readonly meanGapMs: number
  /** Time of the next arrival, ms (fractional: the Poisson process keeps sub-ms precision). */
  private clock: number
  private readonly outbox: SendQueue<ClientGenerated>

  constructor(readonly options: ResolvedClientOptions) {
    const root = new Rng(options.seed)
    // Separate streams for the world, the viewers' behaviour, arrivals and send delays: changing the
    // send knobs (late, duplicates) changes when events are sent, never what the viewers did.
    const worldRng = root.fork(1)
    this.rng = root.fork(2)
    this.arrivalRng = root.fork(3)
    this.sendRng = root.fork(4)
    this.seed = options.seed
    this.titles = new TitleCatalog(options.titles, options.seed)
    this.sched = new ViewerPool(this.rng, options.ratePerSecond)
    this.meanGapMs = 1000 / options.ratePerSecond
    this.clock = options.startTime
    this.outbox = new SendQueue(options.maxClientDelayMs + 1, options.startTime)
    for (const viewer of createViewers(worldRng, options.viewers)) {
      this.sched.sleep(viewer, options.startTime + worldRng.exponential(FIRST_SESSION_SPREAD_MS))
    }
    this.clock += this.arrivalRng.exponential(this.meanGapMs)
  }

  peekTime(): number {
    this.fill()
    return this.outbox.peekTime()
  }

  next(): ClientGenerated {
    this.fill()
    return this.outbox.pop()
  }

  /**
   * Every future event has event_time ≥ floor(clock) and sends no earlier, so anything queued up to
   * then can go out without breaking send-time order.
   */
  private fill(): void {
    while (this.outbox.peekTime() > Math.floor(this.clock)) this.arrive()
  }

  private arrive(): void {
    const arrival = Math.floor(this.clock)
    const viewer = this.sched.take(this.clock)
    const now = arrival > viewer.lastEventTime ? arrival : viewer.lastEventTime + 1
    viewer.lastEventTime = now
    this.send(this.step(viewer, now))
    this.clock += this.arrivalRng.exponential(this.meanGapMs)
  }

  private step(viewer: Viewer, now: number): ClientEvent {
    switch (viewer.state) {
      case OFFLINE:
        return startSession(this, viewer, now)
      case BROWSING:
        return browse(this, viewer, now)
      case STARTING:
        return stepStarting(this, viewer, now)
      case PLAYING:
        return stepPlaying(this, viewer, now)
      case STALLED:
        return stepStalled(this, viewer, now)
      case PAUSED:
        return stepPaused(this, viewer, now)
      case ENDING:
        return stepEnding(this, viewer, now)
      case AUTOPLAY:
        return stepAutoplay(this, viewer, now)
      default:
        throw new Error(`viewer in unknown state ${viewer.state}`)
    }
  }

  /** Queues the event at its send time, and a retry with the same event_id for some. */
  private send(event: ClientEvent): void {
    const { lateFraction, maxLateMs, duplicateFraction, maxClientDelayMs } = this.options
    const rng = this.sendRng
    // Late sends always come after every on-time one, so "late" is visible as send - event > maxClientDelayMs.
    const delay = rng.chance(lateFraction)
      ? maxClientDelayMs + Math.ceil(Math.min(rng.lognormal(LATE_MEDIAN_MS, 1), maxLateMs))
      : rng.between(0, maxClientDelayMs)
    const sendTime = event.event_time + delay
    event.client_send_time = sendTime
    // Every event of an app session (UI, A/B allocations, its playbacks) shares one key, so one
    // partition sees them in order: enrichment with the session's A/B cells needs no cross-partition state.
    const key = event.app_session_id
    this.outbox.push(sendTime, { kind: 'client_event', key, sendTime, record: event })
    if (duplicateFraction > 0 && rng.chance(duplicateFraction)) {
      const retryTime = sendTime + rng.between(RETRY_MIN_MS, RETRY_MAX_MS)
      const retry: ClientEvent = { ...event, client_send_time: retryTime }
      this.outbox.push(retryTime, { kind: 'client_event', key, sendTime: retryTime, record: retry })
    }
  }
}
