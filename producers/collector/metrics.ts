// The collector's metrics, one place. Reasons are the closed sets of decode and validation (and the
// collector's own), never event contents; apps are not labels (a key per customer app could be many).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface CollectorMetrics {
  requests: Counter<'status'>
  events: Counter<'result' | 'reason'>
  requestSeconds: Histogram
  produceSeconds: Histogram
  clockSkewSeconds: Histogram
  inFlightEvents: Gauge
}

// Skew is signed: positive when the server's receipt is after the client's send time (delay, or a
// client clock behind), negative for a client clock ahead.
const SKEW_BUCKETS = [-3600, -300, -60, -10, -1, -0.1, 0, 0.1, 0.5, 1, 5, 10, 60, 300, 3600]

export function createCollectorMetrics(registry: Registry): CollectorMetrics {
  const registers = [registry]
  return {
    requests: new Counter({ name: 'pulse_collect_requests_total', help: 'Requests to the collector, by HTTP status.', labelNames: ['status'], registers }),
    events: new Counter({ name: 'pulse_collect_events_total', help: 'Events received: result accepted (on the stream) or rejected (dead-lettered), with the reason.', labelNames: ['result', 'reason'], registers }),
    requestSeconds: new Histogram({ name: 'pulse_collect_request_duration_seconds', help: 'Time from a request arriving to its response.', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    produceSeconds: new Histogram({ name: 'pulse_collect_produce_duration_seconds', help: "Time the stream took to accept a request's events.", buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers }),
    clockSkewSeconds: new Histogram({ name: 'pulse_collect_clock_skew_seconds', help: "Server receipt time minus the event's client_send_time (network delay plus client clock skew).", buckets: SKEW_BUCKETS, registers }),
    inFlightEvents: new Gauge({ name: 'pulse_collect_in_flight_events', help: 'Events waiting for the stream to accept them.', registers }),
  }
}
