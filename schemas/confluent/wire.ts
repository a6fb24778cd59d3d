// Confluent's wire format, as Confluent serializers, ClickHouse's AvroConfluent and most Kafka
// tooling write it: magic byte 0, the writer schema's registry id as a 4-byte big-endian integer,
// then the Avro body. The id only means something to the registry that issued it.

export const CONFLUENT_HEADER_BYTES = 5

/** The schema id of a Confluent-framed record, undefined when the bytes are not one. */
export function confluentSchemaId(bytes: Buffer): number | undefined {
  return bytes.length >= CONFLUENT_HEADER_BYTES && bytes[0] === 0 ? bytes.readUInt32BE(1) : undefined
}

export function confluentFrame(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(CONFLUENT_HEADER_BYTES)
  header.writeUInt32BE(schemaId, 1)
  return Buffer.concat([header, body])
}
