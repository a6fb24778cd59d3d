// Every field of AWS VPC flow log records, versions 2 to 8, as AWS names them in a log format
// (`${srcaddr}`) and in the header line of S3 files (`srcaddr`), with the NetworkFlow field it fills,
// the version that introduced it and how its text is read. The default format is the version 2
// fields in this order.
import type { NetworkFlow } from '../types.ts'

export type FieldValue = 'string' | 'integer' | 'action' | 'status'

export interface FlowLogField {
  readonly name: string
  readonly key: keyof NetworkFlow
  readonly version: number
  readonly value: FieldValue
}

function field(name: string, key: keyof NetworkFlow, version: number, value: FieldValue = 'string'): FlowLogField {
  return { name, key, version, value }
}

const ECS_FIELDS = ['cluster-arn', 'cluster-name', 'container-instance-arn', 'container-instance-id', 'container-id', 'second-container-id', 'service-name', 'task-definition-arn', 'task-arn', 'task-id'] as const

export const FLOW_LOG_FIELDS: readonly FlowLogField[] = [
  field('version', 'version', 2, 'integer'),
  field('account-id', 'account_id', 2),
  field('interface-id', 'interface_id', 2),
  field('srcaddr', 'src_addr', 2),
  field('dstaddr', 'dst_addr', 2),
  field('srcport', 'src_port', 2, 'integer'),
  field('dstport', 'dst_port', 2, 'integer'),
  field('protocol', 'protocol', 2, 'integer'),
  field('packets', 'packets', 2, 'integer'),
  field('bytes', 'bytes', 2, 'integer'),
  field('start', 'start', 2, 'integer'),
  field('end', 'end', 2, 'integer'),
  field('action', 'action', 2, 'action'),
  field('log-status', 'log_status', 2, 'status'),
  field('vpc-id', 'vpc_id', 3),
  field('subnet-id', 'subnet_id', 3),
  field('instance-id', 'instance_id', 3),
  field('tcp-flags', 'tcp_flags', 3, 'integer'),
  field('type', 'traffic_type', 3),
  field('pkt-srcaddr', 'pkt_src_addr', 3),
  field('pkt-dstaddr', 'pkt_dst_addr', 3),
  field('region', 'region', 4),
  field('az-id', 'az_id', 4),
  field('sublocation-type', 'sublocation_type', 4),
  field('sublocation-id', 'sublocation_id', 4),
  field('pkt-src-aws-service', 'pkt_src_aws_service', 5),
  field('pkt-dst-aws-service', 'pkt_dst_aws_service', 5),
  field('flow-direction', 'flow_direction', 5),
  field('traffic-path', 'traffic_path', 5, 'integer'),
  ...ECS_FIELDS.map((name) => field(`ecs-${name}`, `ecs_${name.replaceAll('-', '_')}` as keyof NetworkFlow, 7)),
  field('reject-reason', 'reject_reason', 8),
]

const BY_NAME = new Map(FLOW_LOG_FIELDS.map((entry) => [entry.name, entry]))

export function flowLogField(name: string): FlowLogField | undefined {
  return BY_NAME.get(name)
}

/** The version 2 default format, what a flow log without a custom format writes. */
export const DEFAULT_FIELD_NAMES: readonly string[] = FLOW_LOG_FIELDS.filter((entry) => entry.version === 2).map((entry) => entry.name)
