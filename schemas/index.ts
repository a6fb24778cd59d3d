// The contract every stage shares: record types, the Avro/JSON codec, and KPL aggregation.
// Import from here; the other files in this folder are free to change shape.

export * from './types.ts'
export {
  decode,
  encode,
  encodeAsVersion,
  encodeJson,
  schemaVersions,
  DECODE_FAILURE_REASONS,
  type DecodeFailureReason,
  type DecodeResult,
  type SchemaVersionInfo,
  type WireFormat,
} from './codec.ts'
export { crc64Avro } from './fingerprint.ts'
export {
  aggregate,
  aggregatedSize,
  deaggregate,
  AggregateBuilder,
  KINESIS_MAX_RECORD_BYTES,
  KPL_DEFAULT_AGGREGATION_MAX_BYTES,
  KPL_FAILURE_REASONS,
  type DeaggregateResult,
  type KplFailureReason,
  type UserRecord,
} from './kpl-aggregation.ts'
