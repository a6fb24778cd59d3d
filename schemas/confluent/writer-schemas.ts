// Writer schemas of Confluent-framed records, fetched from the registry once per id and resolved to
// Pulse's reader schema (the latest version of the record's kind) once per id and kind. Fetching is
// asynchronous and retried while the registry is down, before a batch is processed (prefetch), so
// decoding stays synchronous and a good record is never dead-lettered because the registry was out:
// the batch waits, and the source with it. An id the registry does not know, or a writer schema that
// does not resolve to the reader's, is the record's fault: a dead letter with the reason.
import avsc from 'avsc'
import type { Type } from 'avsc'
import { retry, type RetryOptions } from '../../runtime/retry.ts'
import type { DecodeResult } from '../codec.ts'
import { parsingCanonicalForm, schemaFingerprint } from '../fingerprint.ts'
import { findWriter, schemasOf } from '../registry.ts'
import type { RecordKind, RecordKinds } from '../types.ts'
import { CONFLUENT_HEADER_BYTES, confluentSchemaId } from './wire.ts'
import type { SchemaRegistryClient } from './registry-client.ts'

type Resolver = ReturnType<Type['createResolver']>
/** version: the Pulse schema version the writer's schema is (by fingerprint), 0 for a foreign one. */
type Resolution = { ok: true; resolver: Resolver; version: number } | { ok: false; detail: string }

export class WriterSchemas {
  /** Writer schema text by id; null when the registry answered that it has no such id. */
  private readonly fetched = new Map<number, string | null>()
  private readonly resolutions = new Map<string, Resolution>()

  constructor(
    private readonly client: SchemaRegistryClient,
    private readonly retryOptions: RetryOptions,
  ) {}

  /** Fetches every id among `records` not yet known; retries until the registry answers. */
  async prefetch(records: Iterable<Buffer>, signal?: AbortSignal): Promise<void> {
    const missing = new Set<number>()
    for (const bytes of records) {
      const id = confluentSchemaId(bytes)
      if (id !== undefined && !this.fetched.has(id)) missing.add(id)
    }
    for (const id of missing) {
      const schema = await retry(() => this.client.schemaById(id), signal === undefined ? this.retryOptions : { ...this.retryOptions, signal })
      this.fetched.set(id, schema ?? null)
    }
  }

  /** Decodes a Confluent-framed record whose id has been prefetched. */
  decode<K extends RecordKind>(kind: K, bytes: Buffer): DecodeResult<K> {
    const id = confluentSchemaId(bytes) ?? -1
    const writer = this.fetched.get(id)
    if (writer === undefined) throw new Error(`schema id ${id} was not prefetched`)
    if (writer === null) return { ok: false, reason: 'unknown_schema', detail: `schema id ${id} is not in the schema registry` }
    const resolution = this.resolution(kind, id, writer)
    if (!resolution.ok) return { ok: false, reason: 'incompatible_schema', detail: resolution.detail }
    const latest = schemasOf(kind).latest
    let decoded: { value: unknown; offset: number }
    try {
      decoded = latest.type.decode(bytes, CONFLUENT_HEADER_BYTES, resolution.resolver)
    } catch (error) {
      return { ok: false, reason: 'malformed_avro', detail: `schema id ${id} body: ${error instanceof Error ? error.message : String(error)}` }
    }
    if (decoded.offset !== bytes.length) return { ok: false, reason: 'malformed_avro', detail: `schema id ${id} body ${decoded.offset < 0 ? 'truncated' : 'followed by stray bytes'}` }
    // The resolver maps the writer's record into the latest version's shape, which RecordKinds[K] mirrors.
    return { ok: true, value: decoded.value as RecordKinds[K], writerVersion: resolution.version, format: 'avro' }
  }

  private resolution(kind: RecordKind, id: number, writer: string): Resolution {
    const key = `${kind}/${id}`
    let resolution = this.resolutions.get(key)
    if (resolution === undefined) {
      resolution = resolve(kind, id, writer)
      this.resolutions.set(key, resolution)
    }
    return resolution
  }
}

function resolve(kind: RecordKind, id: number, writer: string): Resolution {
  try {
    const type = avsc.Type.forSchema(JSON.parse(writer) as avsc.schema.AvroSchema, { wrapUnions: 'never' })
    const schemas = schemasOf(kind)
    const { low, high } = schemaFingerprint(parsingCanonicalForm(type))
    return { ok: true, resolver: schemas.latest.type.createResolver(type), version: findWriter(schemas, low, high)?.version ?? 0 }
  } catch (error) {
    return { ok: false, detail: `schema id ${id} does not resolve to ${kind} v${schemasOf(kind).latest.version}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500) }
  }
}
