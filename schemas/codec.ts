// The typed codec every stage shares. On the wire: Avro single-object encoding (0xC3 0x01, the writer
// schema's CRC-64-AVRO fingerprint, the Avro body), or the plain JSON a foreign producer writes.

import { isUtf8 } from 'node:buffer'
import { checkJsonRecord } from './json-input.ts'
import {
  findAnyWriter,
  findWriter,
  schemasOf,
  SINGLE_OBJECT_HEADER_BYTES,
  type KindSchemas,
  type WriterSchema,
} from './registry.ts'
import type { RecordKind, RecordKinds } from './types.ts'
import { schemaProblems } from './validation.ts'

/** Why decode refused a record. A closed set: these become Prometheus label values and dead-letter reasons. */
export const DECODE_FAILURE_REASONS = [
  'empty_record',
  'unknown_format',
  'unknown_schema',
  'malformed_avro',
  'malformed_json',
  'not_json_object',
  'invalid_utf8',
  'schema_mismatch',
  'incompatible_schema',
] as const
export type DecodeFailureReason = (typeof DECODE_FAILURE_REASONS)[number]

export type WireFormat = 'avro' | 'json'

export type DecodeResult<K extends RecordKind = RecordKind> =
  | {
      readonly ok: true
      readonly value: RecordKinds[K]
      /** The schema version the producer wrote with; JSON is checked against (and reported as) the latest. */
      readonly writerVersion: number
      readonly format: WireFormat
    }
  | { readonly ok: false; readonly reason: DecodeFailureReason; readonly detail: string }

type Failure = Extract<DecodeResult, { ok: false }>

function failure(reason: DecodeFailureReason, detail: string): Failure {
  return { ok: false, reason, detail }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0')
}

function unknownSchemaDetail(schemas: KindSchemas, buf: Buffer, low: number, high: number): string {
  const other = findAnyWriter(low, high)
  const seen = hex64(buf.readBigUInt64LE(2))
  if (other !== undefined) return `fingerprint ${seen} is ${other.kind} v${other.version}, not ${schemas.kind}`
  const known = schemas.writers.map((w) => `v${w.version} ${hex64(w.fingerprint.value)}`).join(', ')
  return `fingerprint ${seen} is no known ${schemas.kind} schema (known: ${known})`
}

function decodeAvro<K extends RecordKind>(kind: K, buf: Buffer): DecodeResult<K> {
  if (buf.length < SINGLE_OBJECT_HEADER_BYTES) {
    return failure('malformed_avro', `${buf.length} bytes, shorter than the single-object header`)
  }
  const schemas = schemasOf(kind)
  const low = buf.readUInt32LE(2)
  const high = buf.readUInt32LE(6)
  const writer = findWriter(schemas, low, high)
  if (writer === undefined) return failure('unknown_schema', unknownSchemaDetail(schemas, buf, low, high))
  let decoded: { value: unknown; offset: number }
  try {
    // One read straight into the latest shape: the resolver (built once per writer) maps older writers.
    decoded = schemas.latest.type.decode(buf, SINGLE_OBJECT_HEADER_BYTES, writer.resolver)
  } catch (err) {
    // avsc throws on a bad union or enum index and on longs past 2^53.
    return failure('malformed_avro', `${kind} v${writer.version} body: ${errorMessage(err)}`)
  }
  if (decoded.offset !== buf.length) {
    const what = decoded.offset < 0 ? 'truncated' : `followed by ${buf.length - decoded.offset} stray bytes`
    return failure('malformed_avro', `${kind} v${writer.version} body ${what}`)
  }
  if (replacedBadUtf8(decoded.value, buf)) return failure('invalid_utf8', `${kind} v${writer.version} body: a string is not valid UTF-8`)
  // The registry built this type from the schema file that mirrors RecordKinds[K] (held by the unit tests).
  return { ok: true, value: decoded.value as RecordKinds[K], writerVersion: writer.version, format: 'avro' }
}

function decodeJson<K extends RecordKind>(kind: K, buf: Buffer, start: number): DecodeResult<K> {
  // JSON is UTF-8 (RFC 8259); toString would quietly turn bad bytes into U+FFFD and store them.
  if (!isUtf8(buf)) return failure('invalid_utf8', 'JSON record is not valid UTF-8')
  let parsed: unknown
  try {
    parsed = JSON.parse(buf.toString('utf8', start))
  } catch (err) {
    return failure('malformed_json', errorMessage(err).slice(0, 200))
  }
  // A parse that started at `{` yields an object; the check only convinces the compiler.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return failure('malformed_json', 'not a JSON object')
  }
  const schemas = schemasOf(kind)
  const checked = checkJsonRecord(schemas, parsed as Record<string, unknown>)
  if (!checked.ok) return failure('schema_mismatch', checked.detail)
  return { ok: true, value: checked.value as RecordKinds[K], writerVersion: schemas.latest.version, format: 'json' }
}

const REPLACEMENT = '\uFFFD'
const REPLACEMENT_BYTES = Buffer.from(REPLACEMENT, 'utf8')

function occurrences(text: string | Buffer, needle: string | Buffer): number {
  let count = 0
  for (let at = text.indexOf(needle as string & Buffer); at !== -1; at = text.indexOf(needle as string & Buffer, at + 1)) count++
  return count
}

/**
 * True when avsc read bytes that are not UTF-8 into a string: it never refuses them, it turns each
 * into U+FFFD. A string holding more U+FFFD than the body holds encoded ones (EF BF BD) got them
 * from bad bytes. Records' fields are flat, and U+FFFD is rare, so the usual cost is one indexOf per string.
 */
function replacedBadUtf8(value: unknown, body: Buffer): boolean {
  if (typeof value !== 'object' || value === null) return false
  let decoded = 0
  // for…in rather than Object.values: no array per record (this runs for every Avro record).
  const fields = value as Record<string, unknown>
  for (const name in fields) {
    const field = fields[name]
    if (typeof field === 'string' && field.includes(REPLACEMENT)) decoded += occurrences(field, REPLACEMENT)
  }
  return decoded > 0 && decoded > occurrences(body, REPLACEMENT_BYTES)
}

/** Index of the first byte that is not JSON whitespace or a UTF-8 byte order mark. */
function firstSignificantByte(buf: Buffer): number {
  let i = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++
  return i
}

/** What a record that is JSON but not an object holds (array, string, number, ...); undefined when not JSON. */
function jsonValueKind(buf: Buffer, start: number): string | undefined {
  const first = buf[start]
  // Only text that could open a JSON value is parsed: binary garbage is refused without a parse.
  if (first === undefined || !(first === 0x5b || first === 0x22 || first === 0x2d || (first >= 0x30 && first <= 0x39) || first === 0x74 || first === 0x66 || first === 0x6e)) return undefined
  if (!isUtf8(buf)) return undefined
  try {
    const value: unknown = JSON.parse(buf.toString('utf8', start))
    return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  } catch {
    return undefined
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  // AWS SDK v3 hands out Uint8Array; wrapping shares the memory, no copy.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Decodes one record of `kind`. Never throws on bad input. Avro written with any known version of the
 * kind is read into the latest version's shape (fields a writer lacked take their defaults). The value
 * shares no memory with `bytes`, so the caller may reuse or release the buffer.
 */
export function decode<K extends RecordKind>(kind: K, bytes: Uint8Array): DecodeResult<K> {
  const buf = asBuffer(bytes)
  if (buf.length >= 2 && buf[0] === 0xc3 && buf[1] === 0x01) return decodeAvro(kind, buf)
  const start = firstSignificantByte(buf)
  if (buf[start] === 0x7b) return decodeJson(kind, buf, start)
  if (start === buf.length) return failure('empty_record', buf.length === 0 ? 'empty record' : `${buf.length} bytes of whitespace`)
  const other = jsonValueKind(buf, start)
  if (other !== undefined) return failure('not_json_object', `a JSON ${other}, not an object`)
  const head = buf.subarray(0, 8).toString('hex')
  return failure('unknown_format', `starts with 0x${head}: neither Avro single-object (c301) nor a JSON object`)
}

// One growable scratch buffer for all encodes: avsc writes into it, and only the exact result is copied.
let scratch = Buffer.allocUnsafe(16 * 1024)

function encodeWith(writer: WriterSchema, record: unknown): Buffer {
  let end: number
  try {
    end = writer.type.encode(record, scratch, SINGLE_OBJECT_HEADER_BYTES)
  } catch {
    // avsc's own message names the type, not the field; recheck to say which fields are wrong.
    const problems = schemaProblems(writer.type, record).join('; ')
    throw new TypeError(`not a valid ${writer.kind} v${writer.version} record: ${problems}`)
  }
  if (end < 0) {
    // avsc reports how many bytes were missing as a negative end: grow and write again.
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end))
    return encodeWith(writer, record)
  }
  writer.header.copy(scratch, 0)
  return Buffer.from(scratch.subarray(0, end))
}

/**
 * Avro single-object bytes of `record`, written with the latest schema of `kind`. Throws a TypeError
 * naming the offending fields when the record does not fit the schema: that is a bug in the caller.
 */
export function encode<K extends RecordKind>(kind: K, record: RecordKinds[K]): Buffer {
  return encodeWith(schemasOf(kind).latest, record)
}

/**
 * Writes with an older schema version, as a not-yet-upgraded producer would (traffic generators and tests
 * use it to exercise schema resolution). Fields the version lacks are left out.
 */
export function encodeAsVersion(kind: RecordKind, version: number, record: object): Buffer {
  const writer = schemasOf(kind).writers.find((w) => w.version === version)
  if (writer === undefined) throw new RangeError(`${kind} has no schema version ${version}`)
  return encodeWith(writer, record)
}

/**
 * The plain JSON a foreign producer would write: the schema's fields in schema order, timestamps as
 * epoch-ms numbers, nothing else. Throws like encode on a record that does not fit the schema.
 */
export function encodeJson<K extends RecordKind>(kind: K, record: RecordKinds[K]): Buffer {
  const { latest, fieldNames } = schemasOf(kind)
  if (!latest.type.isValid(record)) {
    throw new TypeError(`not a valid ${kind} v${latest.version} record: ${schemaProblems(latest.type, record).join('; ')}`)
  }
  return Buffer.from(JSON.stringify(record, fieldNames), 'utf8')
}

export interface SchemaVersionInfo {
  readonly version: number
  readonly file: string
  /** Unsigned CRC-64-AVRO of the Parsing Canonical Form: what other Avro tools print and register. */
  readonly fingerprint: bigint
  readonly canonicalForm: string
}

/** Every known schema version of `kind`, oldest first; the last is the one encode writes. */
export function schemaVersions(kind: RecordKind): readonly SchemaVersionInfo[] {
  return schemasOf(kind)
    .writers.map(({ version, file, fingerprint, canonicalForm }) => ({ version, file, fingerprint: fingerprint.value, canonicalForm }))
    .reverse()
}
