// The `pulse process` command line of a scenario's members, on Kafka (one consumer group) or on
// Kinesis (one lease table on dynalite), writing over HTTP into the scenario's own database.
import type { StreamNames } from './workload.ts'

/**
 * Sessions end only by playback_stop and a partition's watermark only follows its events: the oracle
 * the sessions are compared with (test/helpers/oracle.ts) models neither the inactivity timeout nor an idle
 * partition's watermark following the clock, and a run's drain pauses (outages, restores) would fire both.
 */
const ORACLE_PROCESSING = ['--session-timeout-ms', '86400000', '--idle-timeout-ms', '0']

export interface SinkArgs {
  clickhouseUrl: string
  database: string
  /** Scenario flags (--no-dedup) and the run's block size, if set. */
  extra: readonly string[]
}

export interface KafkaArgs extends SinkArgs {
  brokers: string
  topicPrefix: string
  groupId: string
  partitions: number
  sessionTimeoutMs: number
}

export interface KinesisArgs extends SinkArgs {
  kinesisEndpoint: string
  dynamodbEndpoint: string
  streams: StreamNames
  streamPrefix: string
  leaseDurationMs: number
}

function sink(s: SinkArgs): string[] {
  // The metrics port is each slot's own (processors.ts).
  return ['--clickhouse', s.clickhouseUrl, '--database', s.database, ...ORACLE_PROCESSING, ...s.extra]
}

export function kafkaArgs(s: KafkaArgs): string[] {
  return [
    'process', '--source', 'kafka', '--brokers', s.brokers, '--topic-prefix', s.topicPrefix, '--group', s.groupId,
    '--partitions', String(s.partitions), '--kafka-session-timeout-ms', String(s.sessionTimeoutMs), ...sink(s),
  ]
}

/** Each member's worker id is Pulse's default (host:pid): a restarted member is a new worker, as a restarted pod would be. */
export function kinesisArgs(s: KinesisArgs): string[] {
  return [
    'process', '--source', 'kinesis', '--kinesis-endpoint', s.kinesisEndpoint, '--dynamodb-endpoint', s.dynamodbEndpoint,
    '--stream-prefix', s.streamPrefix, '--kinesis-lease-duration-ms', String(s.leaseDurationMs),
    '--kinesis-lease-renew-interval-ms', String(Math.floor(s.leaseDurationMs / 4)), '--kinesis-discovery-interval-ms', '1000', ...sink(s),
  ]
}
