// The ClickHouse sink's metrics, all in one place. Labels are table names and causes: few values.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface SinkMetrics {
  rows: Counter<'table'>
  inserts: Counter<'table' | 'result'>
  insertSeconds: Histogram<'table'>
  blockRows: Histogram<'table'>
  retries: Counter<'cause'>
  bufferedRows: Gauge
  freshnessSeconds: Histogram<'table'>
  lastAckTimestamp: Gauge
}

export function createSinkMetrics(registry: Registry): SinkMetrics {
  const registers = [registry]
  return {
    rows: new Counter({ name: 'pulse_sink_rows_total', help: 'Rows acknowledged by ClickHouse.', labelNames: ['table'], registers }),
    inserts: new Counter({
      name: 'pulse_sink_inserts_total',
      help: 'Insert requests by outcome (ok, retried, rejected).',
      labelNames: ['table', 'result'],
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'pulse_sink_insert_duration_seconds',
      help: 'Time of one successful insert request.',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    blockRows: new Histogram({
      name: 'pulse_sink_batch_rows',
      help: 'Rows per insert.',
      labelNames: ['table'],
      buckets: [1, 10, 100, 500, 1000, 5000, 10_000, 50_000, 100_000],
      registers,
    }),
    retries: new Counter({ name: 'pulse_sink_retries_total', help: 'Insert attempts retried, by cause.', labelNames: ['cause'], registers }),
    bufferedRows: new Gauge({ name: 'pulse_sink_buffered_rows', help: 'Rows held in memory waiting to be inserted.', registers }),
    freshnessSeconds: new Histogram({
      name: 'pulse_freshness_seconds',
      help: 'End-to-end freshness: from an event\'s time to its row being acknowledged by ClickHouse.',
      labelNames: ['table'],
      buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900],
      registers,
    }),
    lastAckTimestamp: new Gauge({
      name: 'pulse_sink_last_ack_timestamp_seconds',
      help: 'Unix time of the last insert ClickHouse acknowledged.',
      registers,
    }),
  }
}
