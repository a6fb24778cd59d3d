// Contender 3: ClickHouse's own Kafka table engine (chDB 26.7 has it), in this process: a Kafka table
// over each JSON topic and a materialized view into the same raw tables Pulse writes. ClickHouse cannot
// read Avro single-object encoding (it is not AvroConfluent), so this contender reads the JSONEachRow
// copy of the workload. kafka_flush_interval_ms is 1000, Pulse's flush interval (the default, 7.5 s,
// would only make its freshness worse); everything else is the engine's default.
import { loadConfig } from '../../runtime/config.ts'
import { createLogger } from '../../runtime/logger.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { openSink, type Runtime } from '../../cli/roles.ts'
import { pulseConfig } from './pulse.ts'
import type { ChildTask, Contender } from './types.ts'

const CLIENT_COLUMNS = `event_id String, event_type String, event_time Int64, client_send_time Int64, device_id String,
  device_type String, profile_id String, app_session_id String, playback_id Nullable(String), title_id Nullable(String),
  country String, isp String, cdn Nullable(String), bitrate_kbps Nullable(UInt32), duration_ms Nullable(UInt32),
  position_ms Nullable(UInt64), error_code Nullable(String), exit_reason Nullable(String), row_id Nullable(String),
  row_position Nullable(UInt16), search_query Nullable(String), ab_test_id Nullable(String), ab_cell Nullable(String)`

// The same mapping as processors/rows.ts clientEventRow: absent strings become '', provenance from Kafka.
const CLIENT_SELECT = `fromUnixTimestamp64Milli(event_time) AS event_time, event_id, event_type,
  fromUnixTimestamp64Milli(client_send_time) AS client_send_time, device_id, device_type, profile_id, app_session_id,
  ifNull(playback_id, '') AS playback_id, ifNull(title_id, '') AS title_id, country, isp, ifNull(cdn, '') AS cdn,
  bitrate_kbps, duration_ms, position_ms, ifNull(error_code, '') AS error_code, ifNull(exit_reason, '') AS exit_reason,
  ifNull(row_id, '') AS row_id, row_position, ifNull(search_query, '') AS search_query, ifNull(ab_test_id, '') AS ab_test_id,
  ifNull(ab_cell, '') AS ab_cell, now64(3) AS ingest_time, toString(_partition) AS source_partition, toString(_offset) AS source_position`

const FLOW_COLUMNS = `version UInt8, account_id String, interface_id String, src_addr Nullable(String), dst_addr Nullable(String),
  src_port Nullable(UInt16), dst_port Nullable(UInt16), protocol Nullable(UInt8), packets Nullable(UInt64), bytes Nullable(UInt64),
  start UInt32, end UInt32, action Nullable(String), log_status String`

const FLOW_SELECT = `toDateTime(start) AS flow_start, toDateTime(end) AS flow_end, version, account_id, interface_id,
  ifNull(src_addr, '') AS src_addr, ifNull(dst_addr, '') AS dst_addr, src_port, dst_port, protocol, packets, bytes,
  ifNull(action, '') AS action, log_status, 'unknown' AS src_app, 'unknown' AS src_cluster, 'unknown' AS src_region,
  'unknown' AS dst_app, 'unknown' AS dst_cluster, 'unknown' AS dst_region, now64(3) AS ingest_time,
  toString(_partition) AS source_partition, toString(_offset) AS source_position`

function kafkaTable(database: string, name: string, columns: string, task: ChildTask, topic: string): string {
  return `CREATE TABLE ${database}.${name} (${columns}) ENGINE = Kafka SETTINGS kafka_broker_list = '${task.brokers}',
    kafka_topic_list = '${topic}', kafka_group_name = 'bench-engine-${task.mode}-${name}', kafka_format = 'JSONEachRow',
    kafka_flush_interval_ms = 1000`
}

export async function openKafkaEngine(task: ChildTask): Promise<Contender> {
  const database = loadConfig({}).clickhouse.database
  const runtime: Runtime = { config: pulseConfig(task, 'unused'), logger: createLogger({ level: 'warn', pretty: false }), registry: createRegistry() }
  const abort = new AbortController()
  const sink = await openSink(runtime, abort.signal)
  const client = sink.clickhouse.client
  const run = (query: string): Promise<unknown> => client.command({ query })
  return {
    database,
    sink,
    start: async () => {
      await run(kafkaTable(database, 'kafka_client_events', CLIENT_COLUMNS, task, task.topics.jsonClientEvents))
      await run(`CREATE MATERIALIZED VIEW ${database}.mv_client_events TO ${database}.client_events AS SELECT ${CLIENT_SELECT} FROM ${database}.kafka_client_events`)
      if (task.flows === 0) return
      await run(kafkaTable(database, 'kafka_flows', FLOW_COLUMNS, task, task.topics.jsonFlows))
      await run(`CREATE MATERIALIZED VIEW ${database}.mv_flows TO ${database}.network_flows AS SELECT ${FLOW_SELECT} FROM ${database}.kafka_flows`)
    },
    stop: async () => {
      // Dropping the views detaches the consumers before the engine shuts down.
      await run(`DROP VIEW IF EXISTS ${database}.mv_client_events`)
      await run(`DROP VIEW IF EXISTS ${database}.mv_flows`)
      abort.abort()
    },
  }
}
