// Kafka → processor → ClickHouse on the real broker: what is produced lands exactly once, the group's
// committed offsets end at the partitions' ends once the processor stops, a partition resumes after
// ClickHouse's checkpoint when Kafka's commit is behind it, and a record written by another Kafka
// client (kafkajs without Pulse's transport, Kafka's own console producer) is accepted when it matches
// the schema and dead-lettered with its reason when it does not.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { describe, expect, inject, it, onTestFinished } from 'vitest'
import { Kafka, logLevel } from 'kafkajs'
import { ensureKafkaToolsJars } from '../../infra/kafka/jars.ts'
import type { ClientEvent } from '../../schemas/types.ts'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { generateFlowTraffic } from '../../producers/generators/flow-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { kafkaPipeline, PARTITIONS, produceClientEvents, startKafkaProcessor, type KafkaTestPipeline } from '../helpers/kafka.ts'

const EVENTS = 5000

async function committedAtEnd(pipeline: KafkaTestPipeline, topic: string): Promise<{ committed: number; end: number }> {
  const admin = pipeline.kafka.kafka.admin()
  await admin.connect()
  try {
    const ends = await admin.fetchTopicOffsets(topic)
    const [offsets] = await admin.fetchOffsets({ groupId: pipeline.config.kafka.groupId, topics: [topic] })
    return {
      committed: (offsets?.partitions ?? []).reduce((sum, entry) => sum + Math.max(0, Number(entry.offset)), 0),
      end: ends.reduce((sum, entry) => sum + Number(entry.high), 0),
    }
  } finally {
    await admin.disconnect()
  }
}

/**
 * Commits offset 0 for every partition of `topic` in the pipeline's (empty) group. This is what
 * kafkajs's admin.setOffsets does, minus its consumer's 5 s fetch wait.
 */
async function rewindGroup(pipeline: KafkaTestPipeline, topic: string): Promise<void> {
  const consumer = pipeline.kafka.kafka.consumer({ groupId: pipeline.config.kafka.groupId, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic] })
  const fetched = new Promise((resolve) => consumer.on(consumer.events.FETCH, resolve))
  // With autoCommit on, a seek is committed when the next fetch applies it; nothing is consumed (paused).
  await consumer.run({ eachBatch: () => Promise.resolve() })
  consumer.pause([{ topic }])
  for (let partition = 0; partition < PARTITIONS; partition++) consumer.seek({ topic, partition, offset: '0' })
  await fetched
  await consumer.disconnect()
  const admin = pipeline.kafka.kafka.admin()
  await admin.connect()
  const [committed] = await admin.fetchOffsets({ groupId: pipeline.config.kafka.groupId, topics: [topic] })
  await admin.disconnect()
  expect(committed?.partitions.map((entry) => entry.offset)).toEqual(Array.from({ length: PARTITIONS }, () => '0'))
}

describe('Kafka → processor → ClickHouse', () => {
  it('writes N produced events as exactly N rows and commits every offset', async () => {
    const pipeline = await kafkaPipeline()
    const generated = await produceClientEvents(pipeline, EVENTS, 21)
    const running = await startKafkaProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    const table = `${pipeline.database}.client_events`
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${table}`), (n) => n >= EVENTS, { what: `${EVENTS} rows` })
    await running.stop()

    expect(await count(clickhouse, `SELECT count() FROM ${table}`)).toBe(EVENTS)
    expect(await count(clickhouse, `SELECT uniqExact(event_id) FROM ${table}`)).toBe(EVENTS)
    const ids = await clickhouse.client.query({ query: `SELECT event_id FROM ${table} ORDER BY event_id`, format: 'JSONEachRow' })
    expect((await ids.json<{ event_id: string }>()).map((row) => row.event_id)).toEqual(generated.map((item) => item.record.event_id).sort())
    expect(running.fatal).toEqual([])
    // Stopping flushed and committed while still a member: nothing is left to replay.
    expect(await committedAtEnd(pipeline, pipeline.kafka.streams.client_event)).toEqual({ committed: EVENTS, end: EVENTS })
  })

  it('resumes after ClickHouse when its checkpoint is ahead of the Kafka commit, replaying nothing', async () => {
    const pipeline = await kafkaPipeline()
    await produceClientEvents(pipeline, 1000, 22)
    const firstRun = await startKafkaProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    const table = `${pipeline.database}.client_events`
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${table}`), (n) => n >= 1000, { what: '1000 rows' })
    await firstRun.stop()
    // As if every Kafka commit had failed after its ClickHouse commit landed: rewind the group to 0.
    await rewindGroup(pipeline, pipeline.kafka.streams.client_event)

    await produceClientEvents(pipeline, 500, 23)
    const secondRun = await startKafkaProcessor(pipeline)
    await pollUntil(() => count(clickhouse, `SELECT uniqExact(event_id) FROM ${table}`), (n) => n === 1500, { what: 'the 500 new events' })
    expect(await count(clickhouse, `SELECT count() FROM ${table}`)).toBe(1500)
    // It read only the new records: the 1000 acknowledged ones were skipped, not replayed and dropped.
    expect(secondRun.processor.recordsProcessed).toBe(500)
  })

  it('keeps reading the other partitions while the pipeline holds one back', async () => {
    const holdBackMs = 5000
    const pipeline = await kafkaPipeline({ processing: { enrichHoldBackMs: holdBackMs } })
    const flows = generateFlowTraffic({ seed: 3, startTime: Date.now() - 60_000 }, 600).filter((item) => item.kind === 'network_flow')
    const produced = Date.now()
    await pipeline.transport.send(pipeline.kafka.streams.network_flow, flows.map((item) => ({ key: item.key, value: encode(item.kind, item.record) })))
    await produceClientEvents(pipeline, 2000, 24)
    await startKafkaProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events`), (n) => n === 2000, { what: 'the client events' })
    // Flows wait until they are 5 s old (for IP assignments sent just after them); client events do not wait with them.
    expect(Date.now() - produced).toBeLessThan(holdBackMs)
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.network_flows`)).toBe(0)
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.network_flows`), (n) => n === flows.length, { what: 'the flows' })
  })

  it('accepts JSON from a plain Kafka client when it matches the schema, and dead-letters it with a reason when not', async () => {
    const pipeline = await kafkaPipeline()
    const topic = pipeline.kafka.streams.client_event
    const { event, good, mismatch } = foreignRecords(5)
    const malformed = '{"event_id": "x", "event_type": '

    const kafka = new Kafka({ clientId: 'foreign-producer', brokers: [inject('kafkaBrokers')], logLevel: logLevel.NOTHING })
    const producer = kafka.producer()
    await producer.connect()
    onTestFinished(() => producer.disconnect())
    await producer.send({ topic, messages: [good, mismatch, malformed].map((value) => ({ key: 'foreign', value })) })

    await startKafkaProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events`), (n) => n === 1, { what: 'the good record' })
    const landed = await clickhouse.client.query({ query: `SELECT event_id, toUnixTimestamp64Milli(event_time) AS ms FROM ${pipeline.database}.client_events`, format: 'JSONEachRow' })
    // chDB and a server quote 64-bit integers differently in JSON; the value is what matters.
    expect((await landed.json<{ event_id: string; ms: string | number }>()).map((row) => [row.event_id, Number(row.ms)])).toEqual([[event.event_id, event.event_time]])
    const letters = await pollUntil(
      async () => (await clickhouse.client.query({ query: `SELECT stage, reason, position, raw_preview FROM ${pipeline.database}.dead_letters ORDER BY toUInt64(position)`, format: 'JSONEachRow' })).json<{ stage: string; reason: string; position: string; raw_preview: string }>(),
      (rows) => rows.length === 2,
      { what: 'two dead letters' },
    )
    expect(letters.map((row) => [row.stage, row.reason, row.position])).toEqual([
      ['decode', 'schema_mismatch', '1'],
      ['decode', 'malformed_json', '2'],
    ])
    expect(letters[0]?.raw_preview).toContain('not-a-type')
  })

  it("accepts a record from Kafka's own console producer and dead-letters a mismatching one", async () => {
    const pipeline = await kafkaPipeline()
    const { event, good, mismatch } = foreignRecords(6)
    // One record per line on stdin, no key: exactly what `kafka-console-producer.sh` does.
    await consoleProducer(pipeline.kafka.streams.client_event, `${good}\n${mismatch}\n`)

    await startKafkaProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events WHERE event_id = '${event.event_id}'`), (n) => n === 1, { what: 'the good record' })
    const letters = await pollUntil(
      async () => (await clickhouse.client.query({ query: `SELECT stage, reason FROM ${pipeline.database}.dead_letters`, format: 'JSONEachRow' })).json<{ stage: string; reason: string }>(),
      (rows) => rows.length === 1,
      { what: 'one dead letter' },
    )
    expect(letters).toEqual([{ stage: 'decode', reason: 'schema_mismatch' }])
  })
})

/** A generated client event as a foreign producer writes it (plain JSON, ISO-8601 times), and a broken copy. */
function foreignRecords(seed: number): { event: ClientEvent; good: string; mismatch: string } {
  const [event] = generateClientTraffic({ seed, startTime: Date.now() - 60_000, duplicateFraction: 0 }, 1).map((item) => item.record)
  if (event === undefined) throw new Error('no event generated')
  const good = JSON.stringify({ ...event, event_time: new Date(event.event_time).toISOString(), client_send_time: new Date(event.client_send_time).toISOString() })
  const mismatch = JSON.stringify({ ...event, event_id: `${event.event_id}-bad`, event_type: 'not-a-type' })
  return { event, good, mismatch }
}

/** Runs org.apache.kafka.tools.ConsoleProducer (jars from Maven Central, fetched on first use) with `input` on stdin. */
async function consoleProducer(topic: string, input: string): Promise<void> {
  const libs = await ensureKafkaToolsJars()
  const java = process.env.JAVA_HOME === undefined ? 'java' : join(process.env.JAVA_HOME, 'bin', 'java')
  const child = spawn(java, ['-cp', `${libs}/*`, 'org.apache.kafka.tools.ConsoleProducer', '--bootstrap-server', inject('kafkaBrokers'), '--topic', topic], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stdin.end(input)
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`ConsoleProducer exited with ${String(code)}:\n${output}`)
}

