// The collector's metrics, one place. Reasons are the closed sets of decode and validation (and the
// collector's own), never event contents; apps are not labels (a key per customer app could be many).
//
// A request used to make seven or more prom-client updates (one per distinct client send time, too),
// each hashing and validating its labels. The request path now only adds to plain tallies; each
// metric's collect hook, which every read runs first (a scrape, registry.metrics(), metric.get()),
// folds them in, so every reader sees the same names and values as before.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { HistogramTally } from './histogram-tally.ts'

// Skew is signed: positive when the server's receipt is after the client's send time (delay, or a
// client clock behind), negative for a client clock ahead.
const SKEW_BUCKETS = [-3600, -300, -60, -10, -1, -0.1, 0, 0.1, 0.5, 1, 5, 10, 60, 300, 3600]
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export class CollectorMetrics {
  /** Events waiting for the stream to accept them (read by the gauge when scraped). */
  inFlightEvents = 0
  readonly requestSeconds = new HistogramTally(LATENCY_BUCKETS)
  readonly produceSeconds = new HistogramTally(LATENCY_BUCKETS)
  readonly clockSkewSeconds = new HistogramTally(SKEW_BUCKETS)
  private readonly byStatus = new Map<number, number>()
  private accepted = 0
  private readonly rejectedByReason = new Map<string, number>()

  constructor(registry: Registry) {
    const registers = [registry]
    const requests: Counter<'status'> = new Counter({
      name: 'pulse_collect_requests_total',
      help: 'Requests to the collector, by HTTP status.',
      labelNames: ['status'],
      registers,
      collect: () => {
        for (const [status, count] of this.byStatus) requests.inc({ status: String(status) }, count)
        this.byStatus.clear()
      },
    })
    const events: Counter<'result' | 'reason'> = new Counter({
      name: 'pulse_collect_events_total',
      help: 'Events received: result accepted (on the stream) or rejected (dead-lettered), with the reason.',
      labelNames: ['result', 'reason'],
      registers,
      collect: () => {
        if (this.accepted > 0) events.inc({ result: 'accepted', reason: '' }, this.accepted)
        this.accepted = 0
        for (const [reason, count] of this.rejectedByReason) events.inc({ result: 'rejected', reason }, count)
        this.rejectedByReason.clear()
      },
    })
    histogram('pulse_collect_request_duration_seconds', 'Time from a request arriving to its response.', this.requestSeconds, registers)
    histogram('pulse_collect_produce_duration_seconds', "Time the stream took to accept a request's events.", this.produceSeconds, registers)
    histogram('pulse_collect_clock_skew_seconds', "Server receipt time minus the event's client_send_time (network delay plus client clock skew).", this.clockSkewSeconds, registers)
    const inFlight: Gauge = new Gauge({
      name: 'pulse_collect_in_flight_events',
      help: 'Events waiting for the stream to accept them.',
      registers,
      collect: () => {
        inFlight.set(this.inFlightEvents)
      },
    })
  }

  /** One answered request, by its status. */
  request(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1)
  }

  acceptedEvents(count: number): void {
    this.accepted += count
  }

  rejectedEvent(reason: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1)
  }
}

function histogram(name: string, help: string, tally: HistogramTally, registers: Registry[]): void {
  const metric: Histogram = new Histogram({
    name,
    help,
    buckets: [...tally.bounds],
    registers,
    collect: () => {
      tally.foldInto(metric)
    },
  })
}
