// One client's run of the benchmark workload (see ../kafka-clients.ts): produce the messages in
// batches with one request in flight (acks=all, idempotent, as Pulse's transport does), then consume
// them all as a one-member consumer group from the earliest offset, without committing.
import { performance } from 'node:perf_hooks'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { Admin, Consumer, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'

export type ClientName = 'kafkajs' | '@platformatic/kafka'

export interface Workload {
  brokers: string
  messages: number
  batch: number
  partitions: number
  /** Distinguishes rounds in topic and group names. */
  tag: string
}

export interface ClientResult {
  client: ClientName
  tag: string
  averageBytes: number
  produceSeconds: number
  consumeSeconds: number
  consumed: number
}

/** The same fetch sizes for both (kafkajs's defaults; @platformatic/kafka defaults to 10 MB per partition). */
const FETCH = { minBytes: 1, maxBytes: 10 * 1024 * 1024, maxBytesPerPartition: 1024 * 1024, maxWaitTime: 500 }

interface BenchMessage {
  key: string
  value: Buffer
}

export async function runClient(client: ClientName, workload: Workload): Promise<ClientResult> {
  const messages = buildMessages(workload.messages)
  const averageBytes = Math.round(messages.reduce((sum, message) => sum + message.value.byteLength, 0) / messages.length)
  const names = { topic: `bench-${slug(client)}-${workload.tag}-${Date.now()}`, group: `bench-${slug(client)}-${workload.tag}-${Date.now()}` }
  const timing = client === 'kafkajs' ? await withKafkajs(workload, messages, names) : await withPlatformatic(workload, messages, names)
  return { client, tag: workload.tag, averageBytes, ...timing }
}

/** Pulse's own records: Avro-encoded generated client events, keyed by app session, the same for every client. */
function buildMessages(count: number): BenchMessage[] {
  return generateClientTraffic({ seed: 1, startTime: Date.UTC(2026, 0, 1), duplicateFraction: 0 }, count).map((item) => ({ key: item.key, value: encode('client_event', item.record) }))
}

function slug(client: ClientName): string {
  return client.replace(/[^a-z]/g, '')
}

interface Timing {
  produceSeconds: number
  consumeSeconds: number
  consumed: number
}

async function withKafkajs(workload: Workload, messages: readonly BenchMessage[], names: { topic: string; group: string }): Promise<Timing> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [workload.brokers], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: names.topic, numPartitions: workload.partitions }], waitForLeaders: true })
  await admin.disconnect()

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const produceStart = performance.now()
  for (let start = 0; start < messages.length; start += workload.batch) {
    await producer.send({ topic: names.topic, acks: -1, messages: messages.slice(start, start + workload.batch) })
  }
  const produceSeconds = (performance.now() - produceStart) / 1000
  await producer.disconnect()

  const { maxWaitTime, ...sizes } = FETCH
  const consumer = kafka.consumer({ groupId: names.group, ...sizes, maxWaitTimeInMs: maxWaitTime })
  await consumer.connect()
  await consumer.subscribe({ topics: [names.topic], fromBeginning: true })
  let consumed = 0
  let done: () => void = () => undefined
  const finished = new Promise<void>((resolve) => (done = resolve))
  const consumeStart = performance.now()
  await consumer.run({
    autoCommit: false,
    eachBatch: ({ batch }) => {
      consumed += batch.messages.length
      if (consumed >= messages.length) done()
      return Promise.resolve()
    },
  })
  await finished
  const consumeSeconds = (performance.now() - consumeStart) / 1000
  await consumer.disconnect()
  return { produceSeconds, consumeSeconds, consumed }
}

async function withPlatformatic(workload: Workload, messages: readonly BenchMessage[], names: { topic: string; group: string }): Promise<Timing> {
  const bootstrapBrokers = [workload.brokers]
  const admin = new Admin({ clientId: 'bench-platformatic', bootstrapBrokers })
  await admin.createTopics({ topics: [names.topic], partitions: workload.partitions, replicas: 1 })
  await admin.close()

  const producer = new Producer({ clientId: 'bench-platformatic', bootstrapBrokers, idempotent: true, acks: ProduceAcks.ALL, autocreateTopics: false })
  const produceStart = performance.now()
  for (let start = 0; start < messages.length; start += workload.batch) {
    await producer.send({ messages: messages.slice(start, start + workload.batch).map((message) => ({ topic: names.topic, key: Buffer.from(message.key), value: message.value })) })
  }
  const produceSeconds = (performance.now() - produceStart) / 1000
  await producer.close()

  const consumer = new Consumer({ clientId: 'bench-platformatic', groupId: names.group, bootstrapBrokers, ...FETCH })
  let consumed = 0
  let done: () => void = () => undefined
  const finished = new Promise<void>((resolve) => (done = resolve))
  const consumeStart = performance.now()
  const stream = await consumer.consume({ topics: [names.topic], mode: MessagesStreamModes.EARLIEST, autocommit: false })
  stream.on('data', () => {
    consumed++
    if (consumed === messages.length) done()
  })
  await finished
  const consumeSeconds = (performance.now() - consumeStart) / 1000
  // Forced, so the open stream is closed too; the promise form of close() takes no `force`.
  await new Promise<void>((resolve, reject) => {
    consumer.close(true, (error) => (error ? reject(error) : resolve()))
  })
  return { produceSeconds, consumeSeconds, consumed }
}
