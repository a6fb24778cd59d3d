// Producer-side metrics, one place for every transport.
import { Counter, type Registry } from 'prom-client'

export interface ProducerMetrics {
  records: Counter<'stream'>
  requests: Counter<'stream'>
  retries: Counter<'cause'>
}

export function createProducerMetrics(registry: Registry): ProducerMetrics {
  const registers = [registry]
  return {
    records: new Counter({ name: 'pulse_produced_records_total', help: 'Records accepted by the stream.', labelNames: ['stream'], registers }),
    requests: new Counter({ name: 'pulse_producer_requests_total', help: 'Put requests sent to the stream.', labelNames: ['stream'], registers }),
    retries: new Counter({ name: 'pulse_producer_retries_total', help: 'Records sent again after a failure, by cause.', labelNames: ['cause'], registers }),
  }
}
