// The records every stage shares. These types mirror the Avro schemas in this folder field for field;
// the codec checks every record against the schema, so a drift between the two fails the unit tests.

export const CLIENT_EVENT_TYPES = [
  'play_request',
  'playback_start',
  'bitrate_change',
  'rebuffer_start',
  'rebuffer_end',
  'audio_glitch',
  'video_glitch',
  'playback_error',
  'pause',
  'resume',
  'playback_stop',
  'autoplay_next',
  'row_impression',
  'title_click',
  'search',
  'ab_allocation',
] as const
export type ClientEventType = (typeof CLIENT_EVENT_TYPES)[number]

export const DEVICE_TYPES = ['tv', 'mobile', 'tablet', 'web', 'console'] as const
export type DeviceType = (typeof DEVICE_TYPES)[number]

/** One event sent by a client app. Times are epoch milliseconds. */
export interface ClientEvent {
  event_id: string
  event_type: ClientEventType
  event_time: number
  client_send_time: number
  device_id: string
  device_type: DeviceType
  profile_id: string
  app_session_id: string
  /** Playback session this event belongs to; null for UI and A/B events outside a playback. */
  playback_id: string | null
  title_id: string | null
  country: string
  isp: string
  cdn: string | null
  bitrate_kbps: number | null
  /** Start-up time on playback_start, stall time on rebuffer_end; null elsewhere. */
  duration_ms: number | null
  position_ms: number | null
  error_code: string | null
  /** Why a playback ended, on playback_stop: completed, user_exit, error, abandon_startup, autoplay_next. */
  exit_reason: string | null
  row_id: string | null
  row_position: number | null
  search_query: string | null
  ab_test_id: string | null
  ab_cell: string | null
  /**
   * When pulse collect received the event (epoch ms, the server's clock); null when it did not come
   * through the collector. Optional in TypeScript only so that producers need not spell it out; the
   * codec fills it with null on decode.
   */
  received_at?: number | null
}

export const FLOW_ACTIONS = ['ACCEPT', 'REJECT'] as const
export type FlowAction = (typeof FLOW_ACTIONS)[number]
export const FLOW_LOG_STATUSES = ['OK', 'NODATA', 'SKIPDATA'] as const
export type FlowLogStatus = (typeof FLOW_LOG_STATUSES)[number]

/** The fields flow log versions 3 to 8 added; absent (or null) on records written with schema v1. */
export interface NetworkFlowExtras {
  vpc_id?: string | null
  subnet_id?: string | null
  instance_id?: string | null
  /** Bitwise OR of the TCP flags seen in the interval (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32). */
  tcp_flags?: number | null
  /** AWS's `type`: IPv4, IPv6 or EFA. */
  traffic_type?: string | null
  pkt_src_addr?: string | null
  pkt_dst_addr?: string | null
  region?: string | null
  az_id?: string | null
  sublocation_type?: string | null
  sublocation_id?: string | null
  pkt_src_aws_service?: string | null
  pkt_dst_aws_service?: string | null
  flow_direction?: string | null
  traffic_path?: number | null
  ecs_cluster_arn?: string | null
  ecs_cluster_name?: string | null
  ecs_container_instance_arn?: string | null
  ecs_container_instance_id?: string | null
  ecs_container_id?: string | null
  ecs_second_container_id?: string | null
  ecs_service_name?: string | null
  ecs_task_definition_arn?: string | null
  ecs_task_arn?: string | null
  ecs_task_id?: string | null
  reject_reason?: string | null
}

/**
 * One AWS VPC flow log record of any format (versions 2 to 8). Fields AWS writes as "-" (NODATA and
 * SKIPDATA records), or that a custom format leaves out, are null. start and end are epoch seconds,
 * as AWS writes them, and every format Pulse reads has them (they place the record in event time).
 * The extras are optional in TypeScript only so that v2-only writers need not spell them out; the
 * codec fills them with null on decode.
 */
export interface NetworkFlow extends NetworkFlowExtras {
  version: number
  /** Empty when a custom format leaves it out (it keys the stream and the sorting, so never null). */
  account_id: string
  interface_id: string
  src_addr: string | null
  dst_addr: string | null
  src_port: number | null
  dst_port: number | null
  protocol: number | null
  packets: number | null
  bytes: number | null
  start: number
  end: number
  action: FlowAction | null
  log_status: FlowLogStatus | null
}

export const ASSIGNMENT_ACTIONS = ['assign', 'release'] as const
export type AssignmentAction = (typeof ASSIGNMENT_ACTIONS)[number]

/** A change of ownership of an IP address or CIDR block, effective from effective_time (epoch ms). */
export interface IpAssignment {
  change_id: string
  cidr: string
  action: AssignmentAction
  app: string
  cluster: string
  region: string
  effective_time: number
}

/** The record kinds the pipeline carries, each on its own stream or topic. */
export interface RecordKinds {
  client_event: ClientEvent
  network_flow: NetworkFlow
  ip_assignment: IpAssignment
}
export type RecordKind = keyof RecordKinds
export const RECORD_KINDS: readonly RecordKind[] = ['client_event', 'network_flow', 'ip_assignment']
