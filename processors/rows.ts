// Maps records to the rows of their ClickHouse tables. Column names and order follow the migrations
// in sinks/clickhouse/migrations; absent strings become '' (ClickHouse's default) and absent measures
// stay null so aggregates skip them.
import type { ClientEvent, IpAssignment, NetworkFlow } from '../schemas/types.ts'
import type { Row } from '../sinks/clickhouse/sink.ts'
import type { Owner } from './enrich/ip-ownership.ts'

export interface Provenance {
  ingestTimeMs: number
  partition: string
  position: string
  /** Index of the user record within its source record (a KPL aggregate packs many); 0 when alone. */
  index?: number
}

export function clientEventRow(event: ClientEvent, from: Provenance, arrival = 'on_time'): Row {
  return {
    event_time: event.event_time,
    event_id: event.event_id,
    event_type: event.event_type,
    client_send_time: event.client_send_time,
    device_id: event.device_id,
    device_type: event.device_type,
    profile_id: event.profile_id,
    app_session_id: event.app_session_id,
    playback_id: event.playback_id ?? '',
    title_id: event.title_id ?? '',
    country: event.country,
    isp: event.isp,
    cdn: event.cdn ?? '',
    bitrate_kbps: event.bitrate_kbps,
    duration_ms: event.duration_ms,
    position_ms: event.position_ms,
    error_code: event.error_code ?? '',
    exit_reason: event.exit_reason ?? '',
    row_id: event.row_id ?? '',
    row_position: event.row_position,
    search_query: event.search_query ?? '',
    ab_test_id: event.ab_test_id ?? '',
    ab_cell: event.ab_cell ?? '',
    arrival,
    ingest_time: from.ingestTimeMs,
    source_partition: from.partition,
    source_position: from.position,
    source_index: from.index ?? 0,
  }
}

export const UNKNOWN_OWNER: Owner = { app: 'unknown', cluster: 'unknown', region: 'unknown' }

export function networkFlowRow(flow: NetworkFlow, source: Owner, destination: Owner, from: Provenance): Row {
  return {
    flow_start: flow.start,
    flow_end: flow.end,
    version: flow.version,
    account_id: flow.account_id,
    interface_id: flow.interface_id,
    src_addr: flow.src_addr ?? '',
    dst_addr: flow.dst_addr ?? '',
    src_port: flow.src_port,
    dst_port: flow.dst_port,
    protocol: flow.protocol,
    packets: flow.packets,
    bytes: flow.bytes,
    action: flow.action ?? '',
    log_status: flow.log_status,
    src_app: source.app,
    src_cluster: source.cluster,
    src_region: source.region,
    dst_app: destination.app,
    dst_cluster: destination.cluster,
    dst_region: destination.region,
    ingest_time: from.ingestTimeMs,
    source_partition: from.partition,
    source_position: from.position,
  }
}

export function ipAssignmentRow(assignment: IpAssignment, from: Provenance): Row {
  return {
    effective_time: assignment.effective_time,
    change_id: assignment.change_id,
    cidr: assignment.cidr,
    action: assignment.action,
    app: assignment.app,
    cluster: assignment.cluster,
    region: assignment.region,
    ingest_time: from.ingestTimeMs,
    source_partition: from.partition,
    source_position: from.position,
  }
}

export interface Rejection {
  stage: string
  reason: string
  detail: string
  kind: string
  source: string
  stream: string
}

const PREVIEW_BYTES = 512

export function deadLetterRow(rejection: Rejection, raw: Buffer, from: Provenance): Row {
  return {
    received_time: from.ingestTimeMs,
    stage: rejection.stage,
    reason: rejection.reason,
    detail: rejection.detail.slice(0, 2000),
    kind: rejection.kind,
    source: rejection.source,
    stream: rejection.stream,
    partition: from.partition,
    position: from.position,
    raw_base64: raw.toString('base64'),
    // toString('utf8') replaces invalid bytes, so binary payloads cannot break the JSON row.
    raw_preview: raw.subarray(0, PREVIEW_BYTES).toString('utf8'),
  }
}
