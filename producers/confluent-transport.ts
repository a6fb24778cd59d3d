// `--wire-format confluent`: Pulse's producers write Avro framed for a schema registry, as a
// Confluent serializer would. Each stream's latest schema is registered once under the subject
// `<stream>-value` (Confluent's default TopicNameStrategy); a record in Avro single-object encoding
// with that schema is re-framed (magic 0, the registry's id, the same Avro body). Anything else (a
// raw flow log line sent to be dead-lettered) goes as it is.
import { SINGLE_OBJECT_HEADER_BYTES, schemasOf } from '../schemas/registry.ts'
import type { SchemaRegistryClient } from '../schemas/confluent/registry-client.ts'
import { confluentFrame } from '../schemas/confluent/wire.ts'
import type { RecordKind } from '../schemas/types.ts'
import type { OutgoingRecord, Transport } from './transport.ts'

export class ConfluentTransport implements Transport {
  private readonly ids = new Map<string, Promise<number>>()

  constructor(
    private readonly inner: Transport,
    private readonly registry: SchemaRegistryClient,
    private readonly kindOf: (stream: string) => RecordKind,
  ) {}

  get name(): Transport['name'] {
    return this.inner.name
  }

  ensureStreams(streams: readonly string[]): Promise<void> {
    return this.inner.ensureStreams(streams)
  }

  async send(stream: string, records: readonly OutgoingRecord[]): Promise<void> {
    const latest = schemasOf(this.kindOf(stream)).latest
    // The schema as written (defaults and docs kept), not its canonical form: a registry shows it to people.
    const id = await this.schemaId(stream, JSON.stringify(latest.type.schema({ exportAttrs: true })))
    const framed = records.map((record) =>
      record.value.subarray(0, SINGLE_OBJECT_HEADER_BYTES).equals(latest.header) ? { key: record.key, value: confluentFrame(id, record.value.subarray(SINGLE_OBJECT_HEADER_BYTES)) } : record,
    )
    await this.inner.send(stream, framed)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  private schemaId(stream: string, schema: string): Promise<number> {
    let id = this.ids.get(stream)
    if (id === undefined) {
      id = this.registry.register(`${stream}-value`, schema)
      // A failed registration is tried again with the next send rather than remembered.
      id.catch(() => this.ids.delete(stream))
      this.ids.set(stream, id)
    }
    return id
  }
}
