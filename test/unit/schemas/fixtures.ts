// Sample records of every kind, and raw access to the schema files, for the schemas unit tests.

import { readFileSync } from 'node:fs'
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind, RecordKinds } from '../../../schemas/types.ts'

export function clientEvent(overrides: Partial<ClientEvent> = {}): ClientEvent {
  return {
    event_id: '6f1c9a5e-3b1d-4c1e-9d1b-1a2b3c4d5e6f',
    event_type: 'playback_stop',
    event_time: 1_700_000_000_123,
    client_send_time: 1_700_000_000_456,
    device_id: 'dev-1',
    device_type: 'tv',
    profile_id: 'prof-1',
    app_session_id: 'sess-1',
    playback_id: 'pb-1',
    title_id: 'title-80100172',
    country: 'NL',
    isp: 'KPN',
    cdn: 'oca-ams-1',
    bitrate_kbps: 5800,
    duration_ms: null,
    position_ms: 2_400_000,
    error_code: null,
    exit_reason: 'completed',
    row_id: null,
    row_position: null,
    search_query: 'ünïcödé 🎬',
    ab_test_id: null,
    ab_cell: null,
    // What decode gives back for a record without it (written before v3, or not through the collector).
    received_at: null,
    ...overrides,
  }
}

export function networkFlow(overrides: Partial<NetworkFlow> = {}): NetworkFlow {
  return {
    version: 2,
    account_id: '012345678901',
    interface_id: 'eni-0a1b2c3d4e5f60718',
    src_addr: '10.0.1.23',
    dst_addr: '2001:db8::1',
    src_port: 443,
    dst_port: 49152,
    protocol: 6,
    packets: 20,
    // Past 2^32: longs must survive beyond 32 bits. (avsc refuses ±(2^53 - 1): its safe range ends at 2^53 - 2.)
    bytes: 2 ** 40 + 7,
    start: 1_700_000_000,
    end: 1_700_000_060,
    action: 'ACCEPT',
    log_status: 'OK',
    // What decode gives back for a record written without the v3-v8 fields: null, field by field.
    vpc_id: null, subnet_id: null, instance_id: null, tcp_flags: null, traffic_type: null, pkt_src_addr: null, pkt_dst_addr: null,
    region: null, az_id: null, sublocation_type: null, sublocation_id: null, pkt_src_aws_service: null, pkt_dst_aws_service: null,
    flow_direction: null, traffic_path: null, ecs_cluster_arn: null, ecs_cluster_name: null, ecs_container_instance_arn: null,
    ecs_container_instance_id: null, ecs_container_id: null, ecs_second_container_id: null, ecs_service_name: null,
    ecs_task_definition_arn: null, ecs_task_arn: null, ecs_task_id: null, reject_reason: null,
    ...overrides,
  }
}

export function ipAssignment(overrides: Partial<IpAssignment> = {}): IpAssignment {
  return {
    change_id: 'chg-1',
    cidr: '10.1.2.0/24',
    action: 'assign',
    app: 'playback-api',
    cluster: 'prod-eu-1',
    region: 'eu-west-1',
    effective_time: 1_700_000_000_000,
    ...overrides,
  }
}

export const SAMPLES: { [K in RecordKind]: RecordKinds[K] } = {
  client_event: clientEvent(),
  network_flow: networkFlow(),
  ip_assignment: ipAssignment(),
}

export function schemaFile(file: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${file}`, import.meta.url), 'utf8'))
}
