// Metrics of the sources, Kinesis and Kafka, in one place. Shard and partition ids are bounded by the
// stream's shard or partition count, so they may be labels.
import { Counter, Gauge, type Registry } from 'prom-client'

export interface SourceMetrics {
  records: Counter<'stream'>
  millisBehind: Gauge<'stream' | 'shard'>
  retries: Counter<'cause'>
  shards: Gauge<'stream'>
  kafkaLag: Gauge<'topic' | 'partition'>
}

export function createSourceMetrics(registry: Registry): SourceMetrics {
  const registers = [registry]
  return {
    records: new Counter({ name: 'pulse_source_records_total', help: 'Records read from the stream.', labelNames: ['stream'], registers }),
    millisBehind: new Gauge({
      name: 'pulse_kinesis_millis_behind_latest',
      help: 'How far the reader of a shard is behind its newest record (MillisBehindLatest).',
      labelNames: ['stream', 'shard'],
      registers,
    }),
    retries: new Counter({ name: 'pulse_source_retries_total', help: 'Failed reads retried, by cause.', labelNames: ['cause'], registers }),
    shards: new Gauge({ name: 'pulse_source_partitions_assigned', help: 'Shards or partitions this process reads.', labelNames: ['stream'], registers }),
    kafkaLag: new Gauge({
      name: 'pulse_kafka_consumer_lag_records',
      help: 'Records between the committed offset and the end of a partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
  }
}
