// Every schema version each record kind has been written with, loaded once from the .avsc files beside this
// module, with what decode needs per writer precomputed: avsc type, fingerprint, resolver into the latest.

import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import avsc from 'avsc'
import type { Type } from 'avsc'
import { parsingCanonicalForm, schemaFingerprint, type SchemaFingerprint } from './fingerprint.ts'
import { RECORD_KINDS, type RecordKind } from './types.ts'

/**
 * Schema files per kind, oldest first; the last is what encode writes and decode reads into. Append new
 * versions, never edit or drop a published one: records written with it may still sit on a stream.
 */
export const SCHEMA_FILES: { readonly [K in RecordKind]: readonly string[] } = {
  client_event: ['client_event.v1.avsc', 'client_event.v2.avsc', 'client_event.v3.avsc'],
  network_flow: ['network_flow.v1.avsc', 'network_flow.v2.avsc'],
  ip_assignment: ['ip_assignment.v1.avsc'],
}

/** Avro single-object encoding marker, then 8 fingerprint bytes: 10 bytes before the body. */
export const SINGLE_OBJECT_MAGIC = Buffer.from([0xc3, 0x01])
export const SINGLE_OBJECT_HEADER_BYTES = 10

type RecordType = avsc.types.RecordType
type Resolver = ReturnType<Type['createResolver']>

export interface WriterSchema {
  readonly kind: RecordKind
  readonly version: number
  readonly file: string
  readonly type: RecordType
  readonly canonicalForm: string
  readonly fingerprint: SchemaFingerprint
  /** The 10 bytes every record written with this version starts with. */
  readonly header: Buffer
  /** Reads this writer's body into the latest version's shape; undefined for the latest itself. */
  readonly resolver: Resolver | undefined
}

export interface FieldInfo {
  readonly name: string
  /** long with logicalType timestamp-millis: JSON may carry it as an ISO-8601 string. */
  readonly timestampMillis: boolean
}

export interface KindSchemas {
  readonly kind: RecordKind
  readonly latest: WriterSchema
  /** Newest first, the hot-path lookup order: most traffic is written with the latest version. */
  readonly writers: readonly WriterSchema[]
  /** The latest version's fields in schema order. */
  readonly fields: readonly FieldInfo[]
  /** Their names, mutable only because JSON.stringify's replacer type asks for a plain array. */
  readonly fieldNames: string[]
}

const SCHEMA_DIR = new URL('./', import.meta.url)

function readSchemaFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8'))
  } catch (err) {
    // A compiled build that forgot to copy the .avsc files lands here, at start-up rather than per record.
    throw new Error(`cannot load Avro schema ${file} from ${fileURLToPath(SCHEMA_DIR)}`, { cause: err })
  }
}

function versionOf(file: string): number {
  const match = /\.v(\d+)\.avsc$/.exec(file)
  if (match?.[1] === undefined) throw new Error(`schema file ${file} is not named <kind>.v<N>.avsc`)
  return Number(match[1])
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** avsc is built without logicalTypes (so timestamps stay epoch-ms numbers); the raw JSON says which are. */
function isTimestampMillis(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.some(isTimestampMillis)
  return isObject(schema) && schema.type === 'long' && schema.logicalType === 'timestamp-millis'
}

function timestampFieldNames(schema: unknown): Set<string> {
  const names = new Set<string>()
  const fields = isObject(schema) && Array.isArray(schema.fields) ? schema.fields : []
  for (const field of fields) {
    if (isObject(field) && typeof field.name === 'string' && isTimestampMillis(field.type)) names.add(field.name)
  }
  return names
}

function buildType(schema: unknown, file: string): RecordType {
  // wrapUnions 'never': values are plain (`null` or the value, never `{ string: ... }`); an ambiguous union
  // added later fails here at load instead of changing the value shape. omitRecordMethods: lean records.
  const type = avsc.Type.forSchema(schema as avsc.schema.AvroSchema, { wrapUnions: 'never', omitRecordMethods: true })
  if (!(type instanceof avsc.types.RecordType)) throw new Error(`schema ${file} is not a record`)
  return type
}

function loadWriter(kind: RecordKind, file: string): { writer: Omit<WriterSchema, 'resolver'>; raw: unknown } {
  const raw = readSchemaFile(file)
  const type = buildType(raw, file)
  const canonicalForm = parsingCanonicalForm(type)
  const fingerprint = schemaFingerprint(canonicalForm)
  const header = Buffer.concat([SINGLE_OBJECT_MAGIC, fingerprint.bytes])
  return { writer: { kind, version: versionOf(file), file, type, canonicalForm, fingerprint, header }, raw }
}

function fieldInfos(type: RecordType, raw: unknown): FieldInfo[] {
  const timestamps = timestampFieldNames(raw)
  return type.fields.map((field) => ({
    name: field.name,
    timestampMillis: timestamps.has(field.name),
  }))
}

function loadKind(kind: RecordKind): KindSchemas {
  const loaded = SCHEMA_FILES[kind].map((file) => loadWriter(kind, file))
  const newest = loaded.at(-1)
  if (newest === undefined) throw new Error(`no schema files for ${kind}`)
  const latestType = newest.writer.type
  // createResolver throws on an incompatible pair, so a bad new version fails at start-up, not per record.
  const writers = loaded
    .map(({ writer }) => ({
      ...writer,
      resolver: writer === newest.writer ? undefined : latestType.createResolver(writer.type),
    }))
    .reverse()
  const latest = writers[0]
  if (latest === undefined) throw new Error(`no schema files for ${kind}`)
  const fields = fieldInfos(latestType, newest.raw)
  return { kind, latest, writers, fields, fieldNames: fields.map((f) => f.name) }
}

const REGISTRY = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, loadKind(kind)])) as {
  readonly [K in RecordKind]: KindSchemas
}

export function schemasOf(kind: RecordKind): KindSchemas {
  return REGISTRY[kind]
}

/** The writer of `kind` with this fingerprint, given as the two little-endian halves read off the wire. */
export function findWriter(schemas: KindSchemas, low: number, high: number): WriterSchema | undefined {
  for (const writer of schemas.writers) {
    if (writer.fingerprint.low === low && writer.fingerprint.high === high) return writer
  }
  return undefined
}

/** Any kind's writer with this fingerprint: lets an error say "this is a network_flow record". */
export function findAnyWriter(low: number, high: number): WriterSchema | undefined {
  for (const kind of RECORD_KINDS) {
    const writer = findWriter(REGISTRY[kind], low, high)
    if (writer !== undefined) return writer
  }
  return undefined
}
