// Maps records to the rows of their ClickHouse tables, typed by schemas/tables.ts (so a column added
// there and not here does not compile); absent strings become '' (ClickHouse's default) and absent
// measures stay null so aggregates skip them.
import type { ClientEvent, IpAssignment, NetworkFlow } from '../schemas/types.ts'
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
    // The v3-v8 fields, null where the record has none (a v1 writer, a format without them, "-"),
    // spelled out: building them from a key list per flow was 1.4 % of a drain's profile.
    vpc_id: flow.vpc_id ?? null,
    subnet_id: flow.subnet_id ?? null,
    instance_id: flow.instance_id ?? null,
    tcp_flags: flow.tcp_flags ?? null,
    traffic_type: flow.traffic_type ?? null,
    pkt_src_addr: flow.pkt_src_addr ?? null,
    pkt_dst_addr: flow.pkt_dst_addr ?? null,
    region: flow.region ?? null,
    az_id: flow.az_id ?? null,
    sublocation_type: flow.sublocation_type ?? null,
    sublocation_id: flow.sublocation_id ?? null,
    pkt_src_aws_service: flow.pkt_src_aws_service ?? null,
    pkt_dst_aws_service: flow.pkt_dst_aws_service ?? null,
    flow_direction: flow.flow_direction ?? null,
    traffic_path: flow.traffic_path ?? null,
    ecs_cluster_arn: flow.ecs_cluster_arn ?? null,
    ecs_cluster_name: flow.ecs_cluster_name ?? null,
    ecs_container_instance_arn: flow.ecs_container_instance_arn ?? null,
    ecs_container_instance_id: flow.ecs_container_instance_id ?? null,
    ecs_container_id: flow.ecs_container_id ?? null,
    ecs_second_container_id: flow.ecs_second_container_id ?? null,
    ecs_service_name: flow.ecs_service_name ?? null,
    ecs_task_definition_arn: flow.ecs_task_definition_arn ?? null,
    ecs_task_arn: flow.ecs_task_arn ?? null,
    ecs_task_id: flow.ecs_task_id ?? null,
    reject_reason: flow.reject_reason ?? null,
    source_index: from.index ?? 0,
  }
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
