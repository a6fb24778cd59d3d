// Puts records on Kafka with an idempotent kafkajs producer: the broker drops a batch it already
// appended when a retry sends it again, and one request in flight per connection keeps each
// partition's batches in order, so a key's records stay in order across retries. The key picks the
// partition (kafkajs's Java-compatible murmur2 partitioner, the same choice as Kafka's own clients).
// kafkajs retries failed requests itself; this transport adds no retry loop of its own.
import { CompressionTypes, Partitioners, type Admin, type Kafka, type Message, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import type { ProducerMetrics } from '../metrics.ts'
import type { OutgoingRecord, Transport } from '../transport.ts'
import { ensureTopics } from '../../processors/source/kafka/client.ts'
import { connectFailure } from '../../processors/source/kafka/connect-failure.ts'

/**
 * Bytes of keys and values per produce request. A partition's record batch must stay under the
 * broker's message.max.bytes (1 MiB by default) even if every record of a request has one key.
 */
export const MAX_REQUEST_BYTES = 768 * 1024
/** Record framing in the v2 batch format (offset delta, timestamp delta, lengths, headers count). */
const RECORD_OVERHEAD_BYTES = 32

export interface KafkaTransportOptions {
  kafka: Kafka
  brokers: readonly string[]
  /** Partitions of a topic this transport creates. */
  partitions: number
  metrics: ProducerMetrics
  logger: Logger
  /** None by default: on loopback and small records gzip costs more CPU than it saves (BENCHMARKS.md). */
  compression?: CompressionTypes
}

export class KafkaTransport implements Transport {
  readonly name = 'kafka'
  private readonly producer: Producer
  private admin: Admin | undefined
  private connected: Promise<void> | undefined

  constructor(private readonly options: KafkaTransportOptions) {
    // maxInFlightRequests 1 is what kafkajs requires for idempotence (it keeps one sequence per partition).
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    })
  }

  async ensureStreams(streams: readonly string[]): Promise<void> {
    const admin = this.options.kafka.admin()
    this.admin = admin
    try {
      await admin.connect()
    } catch (error) {
      throw connectFailure(this.options.brokers, error)
    }
    await ensureTopics(admin, streams, this.options.partitions, this.options.logger)
  }

  async send(stream: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return
    await this.connect()
    // Chunks go one after another, so the records of one key keep their order across chunks.
    for (const chunk of chunks(records)) {
      // One produce request per broker leading the partitions involved; kafkajs's own retries of a
      // request are not visible here, so pulse_producer_retries_total stays at 0 for Kafka.
      this.options.metrics.requests.inc({ stream })
      await this.producer.send({ topic: stream, messages: chunk, acks: -1, compression: this.options.compression ?? CompressionTypes.None })
      this.options.metrics.records.inc({ stream }, chunk.length)
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect()
    await this.admin?.disconnect()
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined
      throw connectFailure(this.options.brokers, error)
    })
    return this.connected
  }
}

function* chunks(records: readonly OutgoingRecord[]): Generator<Message[]> {
  let chunk: Message[] = []
  let bytes = 0
  for (const record of records) {
    const size = record.value.byteLength + Buffer.byteLength(record.key) + RECORD_OVERHEAD_BYTES
    if (chunk.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      yield chunk
      chunk = []
      bytes = 0
    }
    chunk.push({ key: record.key, value: record.value })
    bytes += size
  }
  if (chunk.length > 0) yield chunk
}
