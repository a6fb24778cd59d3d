// The development Kafka broker (infra/kafka) is a real Apache Kafka 4.x: this proves it starts from the
// Maven-fetched jars, serves the client Pulse uses (kafkajs, whose protocol versions predate KIP-896's
// removals) for topic creation, idempotent produce and a committed consumer group, and stops cleanly.
// It runs its own broker on free ports and a temp data dir, so it never touches a developer's
// `kafka:up` broker or another test file's.
import { mkdtemp, rm } from 'node:fs/promises'
import { freePorts } from '../../infra/ports.ts'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel, type Consumer, type logCreator, type Producer } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { isProcessRunning, startKafka, stopKafka, type KafkaBroker, type KafkaBrokerOptions } from '../../infra/kafka/broker.ts'

const MESSAGES = 500
const PARTITIONS = 3
/** The first run of a fresh machine also fetches the jars with Maven (a few seconds on this network). */
const START_TIMEOUT_MS = 180_000


async function waitFor(condition: () => boolean, what: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)
    await sleep(50)
  }
}

/** kafkajs logs transient errors (e.g. "coordinator loading") that it retries; show them only on failure. */
function collectingLogger(lines: string[]): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      lines.push(`[${String(level)}] ${namespace}: ${log.message}`)
    }
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

describe('development Kafka broker (Apache Kafka 4.x, KRaft, from Maven Central)', () => {
  let options: KafkaBrokerOptions
  let broker: KafkaBroker
  let dataDir: string
  const kafkaLog: string[] = []

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'pulse-kafka-test-'))
    const [port, controllerPort] = await freePorts(2)
    options = { port, controllerPort, dataDir }
    broker = await startKafka(options)
  }, START_TIMEOUT_MS)

  afterAll(async () => {
    // Harmless when the last test already stopped it; essential when a test failed before that.
    await stopKafka(options)
    await rm(dataDir, { recursive: true, force: true })
  }, 60_000)

  it('starts a fresh broker on the requested port with its own data dir', () => {
    expect(broker.reused).toBe(false)
    expect(broker.brokers).toBe(`127.0.0.1:${String(options.port)}`)
    expect(broker.dataDir).toBe(dataDir)
  })

  it('returns the running broker instead of starting a second one', async () => {
    const again = await startKafka(options)
    expect(again.reused).toBe(true)
    expect(again.pid).toBe(broker.pid)
  })

  it('creates a topic, produces N messages idempotently and consumes exactly N in a committed group', async () => {
    onTestFailed(() => {
      console.error(`kafkajs log:\n${kafkaLog.join('\n')}`)
    })
    const kafka = new Kafka({ clientId: 'pulse-broker-test', brokers: [broker.brokers], logLevel: logLevel.INFO, logCreator: collectingLogger(kafkaLog) })
    const topic = uniqueName('broker-test')
    const groupId = uniqueName('broker-test-group')
    const admin = kafka.admin()
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
    try {
      await admin.connect()
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })).toBe(true)

      await produceAll(producer, topic)
      const highWatermarks = await admin.fetchTopicOffsets(topic)
      expect(highWatermarks.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(MESSAGES)

      const received = await consumeAndCommit(consumer, topic)
      expect(received).toHaveLength(MESSAGES)
      expect([...received].sort((a, b) => a - b)).toEqual(Array.from({ length: MESSAGES }, (_, i) => i))

      const group = (await admin.describeGroups([groupId])).groups[0]
      expect(group?.state).toBe('Stable')
      expect(group?.members).toHaveLength(1)

      // Committed positions equal the high watermarks: everything was consumed and nothing lies beyond.
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
      const committedByPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]))
      for (const partition of highWatermarks) {
        expect(committedByPartition.get(partition.partition)).toBe(partition.high)
      }
    } finally {
      await consumer.disconnect()
      await producer.disconnect()
      await admin.disconnect()
    }
  })

  it('stops cleanly on SIGTERM and the process is gone', async () => {
    const result = await broker.stop()
    expect(result).toEqual({ wasRunning: true, pid: broker.pid, forced: false })
    expect(await isProcessRunning(broker.pid)).toBe(false)
    expect(await stopKafka(options)).toEqual({ wasRunning: false, forced: false })
  })
})

async function produceAll(producer: Producer, topic: string): Promise<void> {
  await producer.connect()
  const batchSize = 100
  for (let start = 0; start < MESSAGES; start += batchSize) {
    const messages = Array.from({ length: Math.min(batchSize, MESSAGES - start) }, (_, i) => {
      const seq = start + i
      return { key: `device-${String(seq % 17)}`, value: JSON.stringify({ seq }) }
    })
    await producer.send({ topic, messages })
  }
}

/**
 * Consumes until N messages arrived, then commits each partition's next offset, as Pulse does once a
 * block is acknowledged (no auto-commit: a commit must follow the work, never precede it).
 */
async function consumeAndCommit(consumer: Consumer, topic: string): Promise<number[]> {
  const received: number[] = []
  const nextOffsets = new Map<number, string>()
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ partition, message }) => {
      const { seq } = JSON.parse(message.value?.toString('utf8') ?? '{}') as { seq: number }
      received.push(seq)
      nextOffsets.set(partition, (BigInt(message.offset) + 1n).toString())
      return Promise.resolve()
    },
  })
  await waitFor(
    () => received.length >= MESSAGES,
    () => `${MESSAGES} messages (got ${received.length})`,
  )
  await consumer.commitOffsets([...nextOffsets].map(([partition, offset]) => ({ topic, partition, offset })))
  return received
}
