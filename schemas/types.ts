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
}

export const FLOW_ACTIONS = ['ACCEPT', 'REJECT'] as const
export type FlowAction = (typeof FLOW_ACTIONS)[number]
export const FLOW_LOG_STATUSES = ['OK', 'NODATA', 'SKIPDATA'] as const
export type FlowLogStatus = (typeof FLOW_LOG_STATUSES)[number]

/**
 * One AWS VPC flow log record, version 2 default format. Fields AWS writes as "-" (NODATA and
 * SKIPDATA records) are null. start and end are epoch seconds, as AWS writes them.
 */
export interface NetworkFlow {
  version: number
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
  log_status: FlowLogStatus
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
