// types.ts and the .avsc files must describe the same records. The key lists below are checked by the
// compiler against types.ts (Record<...> needs every key, and rejects unknown ones), and at run time
// against the schema files, so a field changed on one side only fails here.

import { describe, expect, it } from 'vitest'
import {
  ASSIGNMENT_ACTIONS,
  CLIENT_EVENT_TYPES,
  DEVICE_TYPES,
  FLOW_ACTIONS,
  FLOW_LOG_STATUSES,
  type RecordKind,
  type RecordKinds,
} from '../../../schemas/types.ts'
import { SCHEMA_FILES } from '../../../schemas/registry.ts'
import { schemaFile } from './fixtures.ts'

type NullableKeys<T> = { [K in keyof T]: null extends T[K] ? K : never }[keyof T]
type Flags<T> = { [K in keyof T]: K extends NullableKeys<T> ? 'nullable' : 'required' }

// Written out by hand on purpose: the compiler checks these against types.ts.
const NULLABILITY: { [K in RecordKind]: Flags<RecordKinds[K]> } = {
  client_event: {
    event_id: 'required', event_type: 'required', event_time: 'required', client_send_time: 'required',
    device_id: 'required', device_type: 'required', profile_id: 'required', app_session_id: 'required',
    playback_id: 'nullable', title_id: 'nullable', country: 'required', isp: 'required', cdn: 'nullable',
    bitrate_kbps: 'nullable', duration_ms: 'nullable', position_ms: 'nullable', error_code: 'nullable',
    exit_reason: 'nullable', row_id: 'nullable', row_position: 'nullable', search_query: 'nullable',
    ab_test_id: 'nullable', ab_cell: 'nullable', received_at: 'nullable',
  },
  network_flow: {
    version: 'required', account_id: 'required', interface_id: 'required', src_addr: 'nullable',
    dst_addr: 'nullable', src_port: 'nullable', dst_port: 'nullable', protocol: 'nullable',
    packets: 'nullable', bytes: 'nullable', start: 'required', end: 'required', action: 'nullable',
    log_status: 'nullable', vpc_id: 'nullable', subnet_id: 'nullable', instance_id: 'nullable', tcp_flags: 'nullable',
    traffic_type: 'nullable', pkt_src_addr: 'nullable', pkt_dst_addr: 'nullable', region: 'nullable', az_id: 'nullable',
    sublocation_type: 'nullable', sublocation_id: 'nullable', pkt_src_aws_service: 'nullable', pkt_dst_aws_service: 'nullable',
    flow_direction: 'nullable', traffic_path: 'nullable', ecs_cluster_arn: 'nullable', ecs_cluster_name: 'nullable',
    ecs_container_instance_arn: 'nullable', ecs_container_instance_id: 'nullable', ecs_container_id: 'nullable',
    ecs_second_container_id: 'nullable', ecs_service_name: 'nullable', ecs_task_definition_arn: 'nullable', ecs_task_arn: 'nullable',
    ecs_task_id: 'nullable', reject_reason: 'nullable',
  },
  ip_assignment: {
    change_id: 'required', cidr: 'required', action: 'required', app: 'required', cluster: 'required',
    region: 'required', effective_time: 'required',
  },
}

interface FieldJson {
  name: string
  type: unknown
  default?: unknown
  doc?: unknown
}

function fieldsOf(file: string): FieldJson[] {
  return (schemaFile(file) as { fields: FieldJson[] }).fields
}

function latestFile(kind: RecordKind): string {
  return SCHEMA_FILES[kind].at(-1) ?? ''
}

function enumSymbols(file: string, field: string): unknown {
  const type = fieldsOf(file).find((f) => f.name === field)?.type
  const enumType = (Array.isArray(type) ? type.find((t) => typeof t === 'object') : type) as { symbols?: unknown }
  return enumType.symbols
}

describe.each(Object.keys(NULLABILITY) as RecordKind[])('%s latest schema', (kind) => {
  const fields = fieldsOf(latestFile(kind))

  it('has exactly the fields of the TypeScript type, in the same order', () => {
    expect(fields.map((f) => f.name)).toEqual(Object.keys(NULLABILITY[kind]))
  })

  it('makes nullable exactly the fields the type allows null in, as ["null", T] with default null', () => {
    const flags: Record<string, string> = NULLABILITY[kind]
    for (const field of fields) {
      const nullable = Array.isArray(field.type) && field.type[0] === 'null' && field.type.length === 2
      expect({ field: field.name, nullable, default: field.default }).toEqual({
        field: field.name,
        nullable: flags[field.name] === 'nullable',
        default: flags[field.name] === 'nullable' ? null : undefined,
      })
    }
  })

  it('documents every field', () => {
    for (const field of fields) expect(typeof field.doc === 'string' && field.doc.length > 5, field.name).toBe(true)
  })
})

describe('enums', () => {
  it.each([
    ['client_event.v3.avsc', 'event_type', CLIENT_EVENT_TYPES],
    ['client_event.v2.avsc', 'event_type', CLIENT_EVENT_TYPES],
    ['client_event.v1.avsc', 'event_type', CLIENT_EVENT_TYPES],
    ['client_event.v3.avsc', 'device_type', DEVICE_TYPES],
    ['network_flow.v1.avsc', 'action', FLOW_ACTIONS],
    ['network_flow.v1.avsc', 'log_status', FLOW_LOG_STATUSES],
    ['ip_assignment.v1.avsc', 'action', ASSIGNMENT_ACTIONS],
  ])('%s %s has the symbols of types.ts', (file, field, symbols) => {
    expect(enumSymbols(file, field)).toEqual([...symbols])
  })
})

describe('client_event versions', () => {
  it('v2 is v1 plus exit_reason and search_query, both nullable with default null', () => {
    const v1 = fieldsOf('client_event.v1.avsc')
    const v2 = fieldsOf('client_event.v2.avsc')
    const added = v2.filter((f) => !v1.some((old) => old.name === f.name))
    expect(added.map((f) => [f.name, f.type, f.default])).toEqual([
      ['exit_reason', ['null', 'string'], null],
      ['search_query', ['null', 'string'], null],
    ])
    for (const old of v1) expect(v2.find((f) => f.name === old.name)?.type, old.name).toEqual(old.type)
  })

  it('v3 is v2 plus received_at, a nullable timestamp-millis with default null (v2 records read as null)', () => {
    const v2 = fieldsOf('client_event.v2.avsc')
    const v3 = fieldsOf('client_event.v3.avsc')
    const added = v3.filter((f) => !v2.some((old) => old.name === f.name))
    expect(added.map((f) => [f.name, f.type, f.default])).toEqual([['received_at', ['null', { type: 'long', logicalType: 'timestamp-millis' }], null]])
    for (const old of v2) expect(v3.find((f) => f.name === old.name)?.type, old.name).toEqual(old.type)
  })

  it('keeps timestamps as long timestamp-millis', () => {
    const types = fieldsOf('client_event.v3.avsc').filter((f) => f.name.endsWith('_time')).map((f) => f.type)
    expect(types).toEqual([
      { type: 'long', logicalType: 'timestamp-millis' },
      { type: 'long', logicalType: 'timestamp-millis' },
    ])
  })
})
