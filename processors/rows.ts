// Maps records to the rows of their ClickHouse tables, typed by schemas/tables.ts (so a column added
// there and not here does not compile); absent strings become '' (ClickHouse's default) and absent
// measures stay null so aggregates skip them.
import type { ClientEvent, IpAssignment, NetworkFlow, NetworkFlowExtras } from '../schemas/types.ts'
import type { RowOf } from '../schemas/tables.ts'
import type { Owner } from './enrich/ip-ownership.ts'

export interface Provenance {
  ingestTimeMs: number
  partition: string
  position: string
  /** Index of the user record within its source record (a KPL aggregate packs many); 0 when alone. */
  index?: number
}

export function clientEventRow(event: ClientEvent, from: Provenance, arrival = 'on_time'): RowOf<'client_events'> {
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
    ingest_time: from.ingestTimeMs,
    source_partition: from.partition,
    source_position: from.position,
    // In the table's column order (schemas/tables.ts), so that the sink's encoders take the row as it is.
    arrival,
    source_index: from.index ?? 0,
    // Null, not ingest_time, for events that did not come through the collector: nobody saw them arrive.
    received_at: event.received_at ?? null,
  }
}

export const UNKNOWN_OWNER: Owner = { app: 'unknown', cluster: 'unknown', region: 'unknown' }

export function networkFlowRow(flow: NetworkFlow, source: Owner, destination: Owner, from: Provenance): RowOf<'network_flows'> {
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
    log_status: flow.log_status ?? '',
    src_app: source.app,
    src_cluster: source.cluster,
    src_region: source.region,
    dst_app: destination.app,
    dst_cluster: destination.cluster,
    dst_region: destination.region,
    ingest_time: from.ingestTimeMs,
    source_partition: from.partition,
    source_position: from.position,
    ...flowExtras(flow),
    source_index: from.index ?? 0,
  }
}

const EXTRA_KEYS = [
  'vpc_id', 'subnet_id', 'instance_id', 'tcp_flags', 'traffic_type', 'pkt_src_addr', 'pkt_dst_addr', 'region', 'az_id', 'sublocation_type',
  'sublocation_id', 'pkt_src_aws_service', 'pkt_dst_aws_service', 'flow_direction', 'traffic_path', 'ecs_cluster_arn', 'ecs_cluster_name',
  'ecs_container_instance_arn', 'ecs_container_instance_id', 'ecs_container_id', 'ecs_second_container_id', 'ecs_service_name',
  'ecs_task_definition_arn', 'ecs_task_arn', 'ecs_task_id', 'reject_reason',
] as const satisfies readonly (keyof NetworkFlowExtras)[]

/** The v3-v8 fields, null where the record has none (a v1 writer, a format without them, "-"). */
function flowExtras(flow: NetworkFlow): Required<NetworkFlowExtras> {
  return Object.fromEntries(EXTRA_KEYS.map((key) => [key, flow[key] ?? null])) as Required<NetworkFlowExtras>
}

export function ipAssignmentRow(assignment: IpAssignment, from: Provenance): RowOf<'ip_assignments'> {
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
