// CRC-64-AVRO, the Rabin fingerprint the Avro spec defines for schema fingerprints, and the Parsing
// Canonical Form it is taken over. Single-object encoding names its writer schema by this fingerprint.

import type { Type } from 'avsc'

/** The spec's EMPTY: the fingerprint of zero bytes, and the polynomial the table is built from. */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n

// BigInt keeps the spec's algorithm readable; it runs only when schemas load (a few kB per process), never
// per record: decode compares the wire bytes as two 32-bit halves instead (see schemaFingerprint).
const TABLE: readonly bigint[] = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i)
  for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (CRC64_AVRO_EMPTY & -(fp & 1n))
  return fp
})

/** The CRC-64-AVRO fingerprint of some bytes, as an unsigned 64-bit value. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = CRC64_AVRO_EMPTY
  for (const byte of bytes) fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] ?? 0n)
  return fp
}

/**
 * The Parsing Canonical Form of an avsc type. avsc's `schema()` (without `exportAttrs`) already emits it:
 * full names, only name/type/fields/symbols/items/values/size in that order, no doc, default or
 * logicalType. The unit tests hold this against the Avro spec's vectors and against Apache Avro Java's
 * SchemaNormalization output for our own schemas, so an avsc upgrade that changes it fails loudly.
 */
export function parsingCanonicalForm(type: Type): string {
  return JSON.stringify(type.schema())
}

export interface SchemaFingerprint {
  readonly value: bigint
  /** The 8 fingerprint bytes as single-object encoding writes them: little-endian. */
  readonly bytes: Buffer
  /** bytes[0..4] and bytes[4..8] as unsigned little-endian ints: two number compares per lookup, no BigInt. */
  readonly low: number
  readonly high: number
}

export function schemaFingerprint(canonicalForm: string): SchemaFingerprint {
  const value = crc64Avro(Buffer.from(canonicalForm, 'utf8'))
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(value)
  return { value, bytes, low: bytes.readUInt32LE(0), high: bytes.readUInt32LE(4) }
}
