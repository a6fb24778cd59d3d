// The Kinesis Producer Library's aggregated-record format: many user records in one Kinesis record, so
// Pulse's producer can pack records the way KPL does and a real KPL producer's records are understood.
//
// Format (awslabs/amazon-kinesis-producer aggregation-format.md; matched against awslabs/kinesis-aggregation
// python/aws_kinesis_agg/aggregator.py and go/v2/deaggregator, whose test data the unit tests reuse):
//   0xF3 0x89 0x9A 0xC2, then protobuf (proto2)
//     AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
//                        repeated Record records = 3; }
//     Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
//              required bytes data = 3; repeated Tag tags = 4; }
//     Tag { required string key = 1; optional string value = 2; }
//   then the 16-byte MD5 of the protobuf bytes.

import { createHash } from 'node:crypto'
import {
  fieldNumber,
  ProtoReader,
  ProtoWireError,
  tag,
  varintSize,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  writeVarint,
} from './protobuf-wire.ts'

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2])
const DIGEST_BYTES = 16
const FRAME_BYTES = KPL_MAGIC.length + DIGEST_BYTES

/** KPL's default AggregationMaxSize. */
export const KPL_DEFAULT_AGGREGATION_MAX_BYTES = 51_200
/** Kinesis's limit for one record: data blob plus partition key. */
export const KINESIS_MAX_RECORD_BYTES = 1_048_576

/** Why deaggregate refused a record: a closed set, used as dead-letter reasons and metric labels. */
export const KPL_FAILURE_REASONS = ['kpl_truncated', 'kpl_bad_md5', 'kpl_malformed_protobuf'] as const
export type KplFailureReason = (typeof KPL_FAILURE_REASONS)[number]

export interface UserRecord {
  /** Partition key of the user record. */
  key: string
  data: Buffer
}

export type DeaggregateResult =
  | { ok: true; records: UserRecord[] }
  | { ok: false; reason: KplFailureReason; detail: string }

const KEY_PARTITION_KEY_TABLE = tag(1, WIRE_LENGTH_DELIMITED)
const KEY_RECORDS = tag(3, WIRE_LENGTH_DELIMITED)
const KEY_PARTITION_KEY_INDEX = tag(1, WIRE_VARINT)
const KEY_DATA = tag(3, WIRE_LENGTH_DELIMITED)

function lengthDelimitedSize(payloadBytes: number): number {
  return 1 + varintSize(payloadBytes) + payloadBytes
}

function recordPayloadSize(keyIndex: number, dataBytes: number): number {
  return 1 + varintSize(keyIndex) + lengthDelimitedSize(dataBytes)
}

/** Protobuf bytes one user record adds: its Record entry, plus its key's table entry when the key is new. */
function addedProtoBytes(keyIndex: number, newKeyBytes: number | undefined, dataBytes: number): number {
  const keyEntry = newKeyBytes === undefined ? 0 : lengthDelimitedSize(newKeyBytes)
  return keyEntry + lengthDelimitedSize(recordPayloadSize(keyIndex, dataBytes))
}

interface AggregatePlan {
  keys: string[]
  indexes: number[]
  protoBytes: number
}

function plan(records: readonly { key: string; data: Uint8Array }[]): AggregatePlan {
  const keyIndex = new Map<string, number>()
  const keys: string[] = []
  const indexes: number[] = []
  let protoBytes = 0
  for (const { key, data } of records) {
    let index = keyIndex.get(key)
    let newKeyBytes: number | undefined
    if (index === undefined) {
      index = keys.push(key) - 1
      keyIndex.set(key, index)
      newKeyBytes = Buffer.byteLength(key, 'utf8')
    }
    indexes.push(index)
    protoBytes += addedProtoBytes(index, newKeyBytes, data.length)
  }
  return { keys, indexes, protoBytes }
}

/** The exact length aggregate(records) returns, without building it. */
export function aggregatedSize(records: readonly { key: string; data: Uint8Array }[]): number {
  return FRAME_BYTES + plan(records).protoBytes
}

/**
 * Packs user records into one KPL aggregated record. Keys are deduplicated into the partition key table;
 * no explicit hash keys are written (Kinesis routes the whole record by its own partition key).
 * Throws a RangeError on an empty list: an aggregate of nothing is a bug in the caller.
 */
export function aggregate(records: readonly { key: string; data: Uint8Array }[]): Buffer {
  if (records.length === 0) throw new RangeError('aggregate needs at least one record')
  const { keys, indexes, protoBytes } = plan(records)
  const out = Buffer.allocUnsafe(FRAME_BYTES + protoBytes)
  KPL_MAGIC.copy(out, 0)
  let pos = KPL_MAGIC.length
  for (const key of keys) pos = writeKeyEntry(out, pos, key)
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    if (record !== undefined) pos = writeRecordEntry(out, pos, indexes[i] ?? 0, record.data)
  }
  createHash('md5').update(out.subarray(KPL_MAGIC.length, pos)).digest().copy(out, pos)
  return out
}

function writeKeyEntry(out: Buffer, pos: number, key: string): number {
  let at = writeVarint(out, pos, KEY_PARTITION_KEY_TABLE)
  at = writeVarint(out, at, Buffer.byteLength(key, 'utf8'))
  return at + out.write(key, at, 'utf8')
}

function writeRecordEntry(out: Buffer, pos: number, keyIndex: number, data: Uint8Array): number {
  let at = writeVarint(out, pos, KEY_RECORDS)
  at = writeVarint(out, at, recordPayloadSize(keyIndex, data.length))
  at = writeVarint(out, at, KEY_PARTITION_KEY_INDEX)
  at = writeVarint(out, at, keyIndex)
  at = writeVarint(out, at, KEY_DATA)
  at = writeVarint(out, at, data.length)
  out.set(data, at)
  return at + data.length
}

function hasMagic(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0xf3 && buf[1] === 0x89 && buf[2] === 0x9a && buf[3] === 0xc2
}

/**
 * The user records in one Kinesis record. A record without the magic is one plain user record (key '').
 * A record with the magic that fails its MD5 or does not parse is refused, unlike AWS's deaggregators,
 * which pass it on as one plain record: Pulse's own payloads never start with the magic (Avro starts
 * 0xC3 0x01, JSON with `{`), so such bytes are a damaged aggregate, better dead-lettered whole with the
 * true reason than decoded as garbage. Returned data are views into `bytes`, not copies.
 */
export function deaggregate(bytes: Uint8Array): DeaggregateResult {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (!hasMagic(buf)) return { ok: true, records: [{ key: '', data: buf }] }
  if (buf.length < FRAME_BYTES) {
    return { ok: false, reason: 'kpl_truncated', detail: `${buf.length} bytes: too short for magic and MD5` }
  }
  const proto = buf.subarray(KPL_MAGIC.length, buf.length - DIGEST_BYTES)
  const digest = createHash('md5').update(proto).digest()
  if (!digest.equals(buf.subarray(buf.length - DIGEST_BYTES))) {
    return { ok: false, reason: 'kpl_bad_md5', detail: `MD5 of ${proto.length} protobuf bytes does not match` }
  }
  try {
    return { ok: true, records: parseAggregatedRecord(proto) }
  } catch (err) {
    if (!(err instanceof ProtoWireError)) throw err
    return { ok: false, reason: 'kpl_malformed_protobuf', detail: err.message }
  }
}

function parseAggregatedRecord(proto: Buffer): UserRecord[] {
  const keys: string[] = []
  const entries: { keyIndex: number; data: Buffer }[] = []
  const reader = new ProtoReader(proto)
  while (!reader.done) {
    const key = reader.readKey()
    if (key === KEY_PARTITION_KEY_TABLE) keys.push(reader.readString())
    else if (key === KEY_RECORDS) entries.push(parseRecord(reader.readBytes()))
    else if (fieldNumber(key) === 1 || fieldNumber(key) === 3) throw new ProtoWireError(`field ${fieldNumber(key)} has wire type ${key % 8}`)
    else reader.skip(key) // explicit_hash_key_table, and fields a later format may add
  }
  // Indexes are resolved after the whole message: protobuf lets the table and the records interleave.
  return entries.map(({ keyIndex, data }) => {
    const key = keys[keyIndex]
    if (key === undefined) throw new ProtoWireError(`partition_key_index ${keyIndex} past a ${keys.length}-key table`)
    return { key, data }
  })
}

function parseRecord(message: Buffer): { keyIndex: number; data: Buffer } {
  let keyIndex: number | undefined
  let data: Buffer | undefined
  const reader = new ProtoReader(message)
  while (!reader.done) {
    const key = reader.readKey()
    if (key === KEY_PARTITION_KEY_INDEX) keyIndex = reader.readVarint()
    else if (key === KEY_DATA) data = reader.readBytes()
    else reader.skip(key) // explicit_hash_key_index, tags
  }
  if (keyIndex === undefined || data === undefined) throw new ProtoWireError('Record lacks partition_key_index or data')
  return { keyIndex, data }
}

/**
 * Fills one aggregated record up to a byte limit, tracking its exact size as records come, the way KPL
 * fills up to AggregationMaxSize. The limit counts what Kinesis counts against a record: the data blob
 * plus the aggregated record's partition key, which is its first user record's key (as in KPL).
 */
export class AggregateBuilder {
  private pending: { key: string; data: Uint8Array }[] = []
  private keyIndex = new Map<string, number>()
  private protoBytes = 0
  private outerKeyBytes = 0

  constructor(readonly maxBytes: number = KPL_DEFAULT_AGGREGATION_MAX_BYTES) {
    if (!(maxBytes > FRAME_BYTES && maxBytes <= KINESIS_MAX_RECORD_BYTES)) {
      throw new RangeError(`maxBytes must be in (${FRAME_BYTES}, ${KINESIS_MAX_RECORD_BYTES}], got ${maxBytes}`)
    }
  }

  get count(): number {
    return this.pending.length
  }

  /** Bytes Kinesis would count for the aggregated record now: blob plus partition key; 0 when empty. */
  get sizeBytes(): number {
    return this.pending.length === 0 ? 0 : FRAME_BYTES + this.protoBytes + this.outerKeyBytes
  }

  /** sizeBytes after adding this record. */
  sizeWith(key: string, data: Uint8Array): number {
    const index = this.keyIndex.get(key)
    const newKeyBytes = index === undefined ? Buffer.byteLength(key, 'utf8') : undefined
    const added = addedProtoBytes(index ?? this.keyIndex.size, newKeyBytes, data.length)
    const outerKeyBytes = this.pending.length === 0 ? (newKeyBytes ?? 0) : this.outerKeyBytes
    return FRAME_BYTES + this.protoBytes + added + outerKeyBytes
  }

  /**
   * Adds the record if the aggregate stays within maxBytes. False on an empty builder means the record
   * alone is too big to aggregate: send it as a plain Kinesis record (deaggregate passes those through).
   */
  tryAdd(key: string, data: Uint8Array): boolean {
    const size = this.sizeWith(key, data)
    if (size > this.maxBytes) return false
    if (this.pending.length === 0) this.outerKeyBytes = Buffer.byteLength(key, 'utf8')
    if (!this.keyIndex.has(key)) this.keyIndex.set(key, this.keyIndex.size)
    this.pending.push({ key, data })
    this.protoBytes = size - FRAME_BYTES - this.outerKeyBytes
    return true
  }

  /** The aggregated record with the partition key to put it under, and an empty builder; undefined if empty. */
  flush(): UserRecord | undefined {
    const first = this.pending[0]
    if (first === undefined) return undefined
    const data = aggregate(this.pending)
    this.pending = []
    this.keyIndex = new Map()
    this.protoBytes = 0
    this.outerKeyBytes = 0
    return { key: first.key, data }
  }
}
