// Metrics of this worker's shard leases. Each process is scraped on its own, so "per worker" is the
// scrape target, not a label; the event label has eight values.
import { Counter, Gauge, type Registry } from 'prom-client'

export interface LeaseMetrics {
  held: Gauge
  events: Counter<'event'>
  waitingOnParents: Gauge
}

export function createLeaseMetrics(registry: Registry): LeaseMetrics {
  const registers = [registry]
  return {
    held: new Gauge({ name: 'pulse_kinesis_leases_held', help: 'Shard leases this worker holds.', registers }),
    events: new Counter({
      name: 'pulse_kinesis_lease_events_total',
      help: 'Lease changes of this worker: taken (free), taken_expired, stolen (handed over to it), steal_requested, released, handed_over, finished, lost.',
      labelNames: ['event'],
      registers,
    }),
    waitingOnParents: new Gauge({ name: 'pulse_kinesis_shards_waiting_on_parents', help: 'Shards not yet leased because a parent shard is not finished.', registers }),
  }
}
