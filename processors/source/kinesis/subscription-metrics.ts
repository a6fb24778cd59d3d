// Metrics of enhanced fan-out subscriptions (records and MillisBehindLatest are the source's own, shared
// with the polling reader). The event label has six values.
import { Counter, type Registry } from 'prom-client'

export type SubscriptionEvent = 'subscribed' | 'renewed' | 'ended_by_service' | 'shard_end' | 'closed_read_by_polling' | 'failed'

export interface SubscriptionMetrics {
  events: Counter<'event'>
}

export function createSubscriptionMetrics(registry: Registry): SubscriptionMetrics {
  return {
    events: new Counter({
      name: 'pulse_kinesis_subscriptions_total',
      help: 'SubscribeToShard subscriptions of this worker: subscribed, renewed (before AWS ends it), ended_by_service (resubscribed from its continuation), shard_end (ChildShards), closed_read_by_polling (a closed shard read to its end with GetRecords), failed (resubscribed after a backoff).',
      labelNames: ['event'],
      registers: [registry],
    }),
  }
}
