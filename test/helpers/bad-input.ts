// The table of malformed records the bad-input test puts on each source (and RELIABILITY.md lists):
// what each is, the stream it goes on, and the dead letter Pulse must write for it (stage, reason and
// a pattern its detail must match). A few cases are accepted on purpose (unknown fields) and say so.
import { gzipSync } from 'node:zlib'
import { encode, encodeJson } from '../../schemas/codec.ts'
import { confluentFrame } from '../../schemas/confluent/wire.ts'
import { KPL_MAGIC } from '../../schemas/kpl-aggregation.ts'
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind } from '../../schemas/types.ts'

export type SourceName = 'kafka' | 'kinesis'

export interface BadInputCase {
  /** The kind of malformed record, as RELIABILITY.md lists it. */
  name: string
  stream: RecordKind
  /** The record's value; null is a Kafka tombstone (a record with no value at all). */
  value: Buffer | null
  /** The dead letter it must become; `accepted` when it must land in its raw table instead. */
  expect: { stage: string; reason: string; detail: RegExp } | { accepted: string }
  /** Cases one source cannot carry (a tombstone, a record past Kinesis's 1 MiB). */
  only?: SourceName
}

const DEEP = '['.repeat(10_000) + ']'.repeat(10_000)
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

/** `text` with the first `marker` replaced by bytes that are not UTF-8 (0xFF 0xFE). */
function withBadUtf8(text: Buffer, marker: string): Buffer {
  const bytes = Buffer.from(text)
  const at = bytes.indexOf(marker)
  if (at < 0) throw new Error(`marker ${marker} not found`)
  bytes[at] = 0xff
  bytes[at + 1] = 0xfe
  return bytes
}

/** Records of each kind with their own id, so every case's raw bytes are its own. */
export interface Templates {
  event: (id: string, overrides?: Partial<ClientEvent>) => ClientEvent
  flow: (id: string, overrides?: Partial<NetworkFlow>) => NetworkFlow
  assignment: (id: string, overrides?: Partial<IpAssignment>) => IpAssignment
  /** A default-format (v2) flow log line with these fields replaced (by AWS's field name). */
  line: (fields: Record<string, string>) => Buffer
}

const LINE_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'] as const

/** Valid records around `nowMs` (a minute back), for the cases to break and for the good records between them. */
export function templates(nowMs: number): Templates {
  const startSeconds = Math.floor(nowMs / 1000) - 60
  return {
    event: (id, overrides = {}) => ({
      event_id: id, event_type: 'row_impression', event_time: nowMs - 30_000, client_send_time: nowMs - 29_000, device_id: 'dev-bad-input', device_type: 'tv',
      profile_id: 'prof-1', app_session_id: 'sess-bad-input', playback_id: null, title_id: 'title-1', country: 'NL', isp: 'KPN', cdn: null, bitrate_kbps: null,
      duration_ms: null, position_ms: null, error_code: null, exit_reason: null, row_id: 'row-1', row_position: 3, search_query: null, ab_test_id: null, ab_cell: null,
      ...overrides,
    }),
    flow: (id, overrides = {}) => ({
      version: 2, account_id: '123456789012', interface_id: id, src_addr: '10.0.0.1', dst_addr: '10.0.0.2', src_port: 443, dst_port: 5000, protocol: 6,
      packets: 10, bytes: 1000, start: startSeconds, end: startSeconds + 5, action: 'ACCEPT', log_status: 'OK', ...overrides,
    }),
    assignment: (id, overrides = {}) => ({ change_id: id, cidr: '10.0.0.0/24', action: 'assign', app: 'app-bad-input', cluster: 'c1', region: 'eu-west-1', effective_time: nowMs - 120_000, ...overrides }),
    line: (fields) => {
      const defaults: Record<string, string> = {
        version: '2', 'account-id': '123456789012', 'interface-id': 'eni-line', srcaddr: '10.0.0.1', dstaddr: '10.0.0.2', srcport: '443', dstport: '5000', protocol: '6',
        packets: '10', bytes: '1000', start: String(startSeconds), end: String(startSeconds + 5), action: 'ACCEPT', 'log-status': 'OK',
      }
      return Buffer.from(LINE_FIELDS.map((name) => fields[name] ?? defaults[name]).join(' '))
    },
  }
}

function dl(stage: string, reason: string, detail: RegExp): BadInputCase['expect'] {
  return { stage, reason, detail }
}

function clientCases(t: Templates, nowMs: number): BadInputCase[] {
  const avro = encode('client_event', t.event('bad-avro'))
  const unknownFingerprint = Buffer.from(avro)
  unknownFingerprint.writeBigUInt64LE(0x0123456789abcdefn, 2)
  const c = (name: string, value: Buffer | null, expect: BadInputCase['expect'], only?: SourceName): BadInputCase => ({ name, stream: 'client_event', value, expect, ...(only === undefined ? {} : { only }) })
  return [
    c('empty value', Buffer.alloc(0), dl('decode', 'empty_record', /^empty record$/)),
    c('random bytes', Buffer.from([0x8f, 0x13, 0x00, 0xff, 0x42, 0x99, 0x10, 0x07, 0x3c, 0xe1]), dl('decode', 'unknown_format', /^starts with 0x8f1300ff42991007/)),
    c('Avro single-object header, unknown fingerprint', unknownFingerprint, dl('decode', 'unknown_schema', /fingerprint 0123456789abcdef is no known client_event schema/)),
    c('Avro of another kind (a flow on the client stream)', encode('network_flow', t.flow('eni-wrong-stream')), dl('decode', 'unknown_schema', /is network_flow v2, not client_event/)),
    c('Confluent-framed record without a schema registry', confluentFrame(42, avro.subarray(10)), dl('decode', 'unknown_schema', /^Confluent-framed record \(schema id 42\) and no schema registry is configured/)),
    c('KPL aggregate with a bad MD5', Buffer.concat([KPL_MAGIC, Buffer.from([0x0a, 0x01, 0x6b]), Buffer.alloc(16)]), dl('decode', 'kpl_bad_md5', /^MD5 of 3 protobuf bytes does not match$/)),
    c('KPL magic on a record too short to be one', Buffer.concat([KPL_MAGIC, Buffer.from('short')]), dl('decode', 'kpl_truncated', /too short for magic and MD5$/)),
    c('truncated Avro body', avro.subarray(0, avro.length - 9), dl('decode', 'malformed_avro', /body truncated/)),
    c('Avro with trailing garbage', Buffer.concat([encode('client_event', t.event('bad-trailing')), Buffer.from('garbage')]), dl('decode', 'malformed_avro', /followed by 7 stray bytes/)),
    c('truncated JSON', encodeJson('client_event', t.event('bad-truncated-json')).subarray(0, 60), dl('decode', 'malformed_json', /JSON/)),
    c('JSON with trailing garbage', Buffer.concat([encodeJson('client_event', t.event('bad-trailing-json')), Buffer.from('}{')]), dl('decode', 'malformed_json', /after JSON/)),
    c('JSON that is not an object (array)', Buffer.from('[{"event_id":"bad-array"}]'), dl('decode', 'not_json_object', /^a JSON array, not an object$/)),
    c('JSON that is not an object (number)', Buffer.from('1700000000000'), dl('decode', 'not_json_object', /^a JSON number, not an object$/)),
    c('missing required field', json({ ...t.event('bad-missing'), device_id: undefined }), dl('decode', 'schema_mismatch', /^device_id: expected string, got missing$/)),
    c('mistyped field', json({ ...t.event('bad-mistyped'), bitrate_kbps: 'fast' }), dl('decode', 'schema_mismatch', /^bitrate_kbps: expected null or int, got "fast"$/)),
    c('enum value not in the schema', json({ ...t.event('bad-enum'), event_type: 'not-a-type' }), dl('decode', 'schema_mismatch', /^event_type: expected one of play_request/)),
    c('time that is no time', json({ ...t.event('bad-iso'), event_time: 'yesterday' }), dl('decode', 'schema_mismatch', /^event_time: "yesterday" is neither epoch milliseconds nor an ISO-8601 time/)),
    c('unknown fields', json({ ...t.event('odd-unknown-fields'), shoe_size: 44, nested: { a: [1, 2] } }), { accepted: 'odd-unknown-fields' }),
    c('unknown field nested 10,000 deep', Buffer.from(JSON.stringify(t.event('odd-deep-unknown')).replace('{', `{"extra":${DEEP},`)), { accepted: 'odd-deep-unknown' }),
    c('10,000-deep nested array in a required field', Buffer.from(`{"event_id":${DEEP}}`), dl('decode', 'schema_mismatch', /^event_id: nested deeper than 32 levels$/)),
    c('a 2 MB record', encodeJson('client_event', t.event('bad-2mb', { search_query: 'x'.repeat(2 * 1024 * 1024) })), dl('decode', 'record_too_large', /^2097\d{3} bytes, more than the 262144 an event may have; raw_base64 keeps the first 4096$/), 'kafka'),
    // Kinesis caps a record at 1 MiB, partition key included: the largest record it takes.
    c('a 1 MiB record (Kinesis maximum)', paddedTo(1024 * 1024 - 'bad-input'.length, t.event('bad-1mib')), dl('decode', 'record_too_large', /^1048567 bytes, more than the 262144 an event may have; raw_base64 keeps the first 4096$/), 'kinesis'),
    c('invalid UTF-8 in JSON', withBadUtf8(encodeJson('client_event', t.event('bad-utf8-json', { search_query: 'QQQQ' })), 'QQQQ'), dl('decode', 'invalid_utf8', /^JSON record is not valid UTF-8$/)),
    c('invalid UTF-8 in an Avro string', withBadUtf8(encode('client_event', t.event('bad-utf8-avro', { search_query: 'QQQQ' })), 'QQQQ'), dl('decode', 'invalid_utf8', /a string is not valid UTF-8/)),
    c('event time in 1970', encode('client_event', t.event('bad-1970', { event_time: 86_400_000 })), dl('validate', 'time_out_of_range', /^event_time 86400000 is outside/)),
    c('event time in 2100', encode('client_event', t.event('bad-2100', { event_time: Date.UTC(2100, 0, 1) })), dl('validate', 'time_out_of_range', /^event_time 4102444800000 is outside/)),
    c('client send time 0 (1970)', encode('client_event', t.event('bad-send-0', { client_send_time: 0 })), dl('validate', 'time_out_of_range', /^client_send_time 0 is outside/)),
    c('client send time in the year 287,000', encode('client_event', t.event('bad-send-9e15', { client_send_time: 9e15 })), dl('validate', 'time_out_of_range', /^client_send_time 9000000000000000 is outside/)),
    c('client send time two days ahead', encode('client_event', t.event('bad-send-ahead', { client_send_time: nowMs + 2 * 86_400_000 })), dl('validate', 'time_out_of_range', /^client_send_time \d+ is outside/)),
    c('empty event id', encode('client_event', t.event('')), dl('validate', 'missing_id', /^event_id is empty$/)),
    c('negative count (bitrate)', encode('client_event', t.event('bad-negative', { bitrate_kbps: -5 })), dl('validate', 'out_of_range', /^bitrate_kbps: -5 is outside UInt32/)),
    c('negative duration (JSON)', json({ ...t.event('bad-negative-json'), duration_ms: -5000 }), dl('validate', 'out_of_range', /^duration_ms: -5000 is outside UInt32/)),
    c('overflowing count past its column (row position)', json({ ...t.event('bad-overflow-column'), row_position: 70_000 }), dl('validate', 'out_of_range', /^row_position: 70000 is outside UInt16/)),
    c('overflowing count past the schema (2^40 in an int)', json({ ...t.event('bad-overflow-int'), bitrate_kbps: 2 ** 40 }), dl('decode', 'schema_mismatch', /^bitrate_kbps: expected int, got 1099511627776$/)),
    c('NaN count (bare NaN, not JSON)', Buffer.from(JSON.stringify({ ...t.event('bad-nan'), bitrate_kbps: 0 }).replace('"bitrate_kbps":0', '"bitrate_kbps":NaN')), dl('decode', 'malformed_json', /not valid JSON/)),
    c('NaN count (as a string)', json({ ...t.event('bad-nan-string'), bitrate_kbps: 'NaN' }), dl('decode', 'schema_mismatch', /^bitrate_kbps: expected null or int, got "NaN"$/)),
    c('infinite count (1e999)', Buffer.from(JSON.stringify({ ...t.event('bad-infinity'), bitrate_kbps: 0 }).replace('"bitrate_kbps":0', '"bitrate_kbps":1e999')), dl('decode', 'schema_mismatch', /^bitrate_kbps: expected int, got Infinity$/)),
  ]
}

/** A JSON client event padded (in search_query) to exactly `bytes` bytes. */
function paddedTo(bytes: number, event: ClientEvent): Buffer {
  const base = encodeJson('client_event', { ...event, search_query: '' }).length
  return encodeJson('client_event', { ...event, search_query: 'x'.repeat(bytes - base) })
}

function flowCases(t: Templates, nowMs: number): BadInputCase[] {
  const f = (name: string, value: Buffer, expect: BadInputCase['expect']): BadInputCase => ({ name, stream: 'network_flow', value, expect })
  return [
    f('malformed source IP (Avro flow)', encode('network_flow', t.flow('eni-bad-ip', { src_addr: '10.0.0.999' })), dl('validate', 'bad_address', /^src_addr "10.0.0.999" is not an IPv4 or IPv6 address$/)),
    f('overflowing protocol (Avro flow, would wrap in UInt8)', encode('network_flow', t.flow('eni-bad-protocol', { protocol: 300 })), dl('validate', 'out_of_range', /^protocol: 300 is outside UInt8/)),
    f('negative bytes (Avro flow)', encode('network_flow', t.flow('eni-bad-bytes', { bytes: -1 })), dl('validate', 'out_of_range', /^bytes: -1 is outside UInt64/)),
    f('10,000-deep nested array in a flow field', Buffer.from(`{"version":2,"interface_id":${DEEP}}`), dl('decode', 'schema_mismatch', /^interface_id: nested deeper than 32 levels$/)),
    f('flow log line with too few fields', Buffer.from('2 123456789012 eni-short 10.0.0.1 10.0.0.2 443'), dl('decode', 'field_count', /^6 fields where the format has 14/)),
    f('flow log line with a port that is no number', t.line({ dstport: 'http', 'interface-id': 'eni-line-port' }), dl('decode', 'bad_field', /^dstport "http" is not a whole number$/)),
    f('flow log line with negative packets', t.line({ packets: '-10', 'interface-id': 'eni-line-negative' }), dl('decode', 'bad_field', /^packets "-10" is not a whole number$/)),
    f('flow log line with a 20-digit byte count', t.line({ bytes: '99999999999999999999', 'interface-id': 'eni-line-huge' }), dl('decode', 'bad_field', /^bytes "99999999999999999999" is not a whole number$/)),
    f('flow log line with port 70000', t.line({ dstport: '70000', 'interface-id': 'eni-line-70000' }), dl('validate', 'out_of_range', /^dst_port: 70000 is outside UInt16/)),
    f('flow log line with a malformed IP', t.line({ dstaddr: '10.0.0.300', 'interface-id': 'eni-line-ip' }), dl('validate', 'bad_address', /^dst_addr "10.0.0.300" is not an IPv4 or IPv6 address$/)),
    f('flow log line with an unknown action', t.line({ action: 'MAYBE', 'interface-id': 'eni-line-action' }), dl('decode', 'bad_field', /^action "MAYBE" is not ACCEPT or REJECT$/)),
    f('flow log line without start and end', t.line({ start: '-', end: '-', 'interface-id': 'eni-line-notime' }), dl('decode', 'no_event_time', /^start or end is "-"$/)),
    f('flow log line ending before it starts', t.line({ start: String(Math.floor(nowMs / 1000) - 5), end: String(Math.floor(nowMs / 1000) - 65), 'interface-id': 'eni-line-interval' }), dl('validate', 'bad_interval', /^end \d+ is before start \d+$/)),
    f('flow log line in 1970', t.line({ start: '60', end: '65', 'interface-id': 'eni-line-1970' }), dl('validate', 'time_out_of_range', /^start 60 is outside/)),
    f('flow log line that is not UTF-8', withBadUtf8(t.line({ 'interface-id': 'eni-line-QQ' }), 'QQ'), dl('decode', 'invalid_utf8', /^flow log text is not valid UTF-8$/)),
    f('gzip that is no CloudWatch Logs record', gzipSync('{"messageType":"DATA_MESSAGE"}'), dl('decode', 'malformed_envelope', /with no logEvents array/)),
    f('corrupt gzip', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]), dl('decode', 'malformed_envelope', /gzip record is not a CloudWatch Logs subscription record/)),
  ]
}

function assignmentCases(t: Templates): BadInputCase[] {
  const a = (name: string, value: Buffer | null, expect: BadInputCase['expect'], only?: SourceName): BadInputCase => ({ name, stream: 'ip_assignment', value, expect, ...(only === undefined ? {} : { only }) })
  const cidr = (id: string, value: string): Buffer => encode('ip_assignment', t.assignment(id, { cidr: value }))
  return [
    a('null value (Kafka tombstone)', null, dl('decode', 'tombstone', /^Kafka tombstone/), 'kafka'),
    a('CIDR with an octet past 255', cidr('bad-cidr-256', '10.0.0.256/24'), dl('validate', 'bad_cidr', /^"10.0.0.256\/24" is not an IPv4 address or CIDR block/)),
    a('CIDR with prefix /33', cidr('bad-cidr-33', '10.0.0.0/33'), dl('validate', 'bad_cidr', /^"10.0.0.0\/33" is not/)),
    a('IP that is a word', cidr('bad-cidr-word', 'banana'), dl('validate', 'bad_cidr', /^"banana" is not/)),
    a('IPv6 block (not supported by the ownership index)', cidr('bad-cidr-v6', '2001:db8::/32'), dl('validate', 'bad_cidr', /^"2001:db8::\/32" is not an IPv4/)),
    a('assignment effective in 2100', encode('ip_assignment', t.assignment('bad-assign-2100', { effective_time: Date.UTC(2100, 0, 1) })), dl('validate', 'time_out_of_range', /^effective_time 4102444800000 is out of range$/)),
    a('10,000-deep nested array in an assignment field', Buffer.from(`{"change_id":${DEEP}}`), dl('decode', 'schema_mismatch', /^change_id: nested deeper than 32 levels$/)),
  ]
}

/** Every case for `source`, in the order they are put on their streams. */
export function badInputCases(source: SourceName, nowMs: number): BadInputCase[] {
  const t = templates(nowMs)
  return [...clientCases(t, nowMs), ...flowCases(t, nowMs), ...assignmentCases(t)].filter((entry) => entry.only === undefined || entry.only === source)
}

export function isRejected(entry: BadInputCase): entry is BadInputCase & { expect: { stage: string; reason: string; detail: RegExp } } {
  return !('accepted' in entry.expect)
}
