// Bad input, exhaustively: one table of malformed records (test/helpers/bad-input.ts), put on the real
// Kafka broker and on the Kinesis emulator, each between two good records on one partition or shard.
// Every malformed record must become one dead letter with its own stage, reason and detail; every good
// record after it must land (nothing stalls the partition), nothing rejected may be counted in an
// aggregate, and the processor must end with nothing buffered and no fatal error.
import { PutRecordCommand } from '@aws-sdk/client-kinesis'
import { ConfigResourceTypes, KafkaJSProtocolError } from 'kafkajs'
import { describe, expect, it, onTestFinished } from 'vitest'
import { encode } from '../../schemas/codec.ts'
import type { RecordKind } from '../../schemas/types.ts'
import { OVERSIZED_KEPT_BYTES } from '../../processors/record-processor.ts'
import { badInputCases, isRejected, templates, type BadInputCase, type SourceName } from '../helpers/bad-input.ts'
import { kafkaPipeline, startKafkaProcessor } from '../helpers/kafka.ts'
import { kinesisPipeline, startProcessor, type RunningProcessor } from '../helpers/pipeline.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

/** One partition key for everything: each stream's records share one partition or shard, in order. */
const KEY = 'bad-input'
const RAW_TABLES: Record<RecordKind, string> = { client_event: 'client_events', network_flow: 'network_flows', ip_assignment: 'ip_assignments' }

interface Plan {
  cases: BadInputCase[]
  /** Per stream: the values in the order they are put, a good record before and after every case. */
  values: Record<RecordKind, (Buffer | null)[]>
  good: Record<RecordKind, number>
}

function plan(source: SourceName, nowMs: number): Plan {
  const cases = badInputCases(source, nowMs)
  const t = templates(nowMs)
  const good: Record<RecordKind, number> = { client_event: 0, network_flow: 0, ip_assignment: 0 }
  const goodRecord = (kind: RecordKind): Buffer => {
    const i = good[kind]++
    if (kind === 'client_event') return encode(kind, t.event(`good-${i}`, { event_time: nowMs - 30_000 + i }))
    if (kind === 'network_flow') return encode(kind, t.flow(`eni-good-${i}`))
    return encode(kind, t.assignment(`good-${i}`, { cidr: `10.${i}.0.0/16` }))
  }
  const values: Plan['values'] = { client_event: [], network_flow: [], ip_assignment: [] }
  for (const kind of Object.keys(values) as RecordKind[]) {
    values[kind].push(goodRecord(kind))
    for (const entry of cases.filter((item) => item.stream === kind)) values[kind].push(entry.value, goodRecord(kind))
  }
  return { cases, values, good }
}

interface Letter {
  kind: string
  stage: string
  reason: string
  detail: string
  raw_base64: string
}

async function checkOutcome(database: string, running: RunningProcessor, { cases, good }: Plan): Promise<void> {
  const { clickhouse } = embeddedClickHouse()
  const rejected = cases.filter(isRejected)
  const accepted = cases.flatMap((entry) => ('accepted' in entry.expect ? [entry.expect.accepted] : []))
  const wanted: Record<RecordKind, number> = { ...good, client_event: good.client_event + accepted.length }
  for (const [kind, table] of Object.entries(RAW_TABLES) as [RecordKind, string][]) {
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${database}.${table}`), (n) => n >= wanted[kind], { what: `${wanted[kind]} rows in ${table}` })
  }
  const letters = await pollUntil(
    async () => (await clickhouse.client.query({ query: `SELECT kind, stage, reason, detail, raw_base64 FROM ${database}.dead_letters`, format: 'JSONEachRow' })).json<Letter>(),
    (rows) => rows.length >= rejected.length,
    { what: `${rejected.length} dead letters` },
  )
  // Each case's dead letter is found by its stream and its bytes (an oversized one keeps its first OVERSIZED_KEPT_BYTES).
  const keptOf = (entry: BadInputCase & { expect: { reason: string } }): Buffer => {
    const value = entry.value ?? Buffer.alloc(0)
    return entry.expect.reason === 'record_too_large' ? value.subarray(0, OVERSIZED_KEPT_BYTES) : value
  }
  const letterOf = (entry: (typeof rejected)[number]): Letter | undefined => letters.find((row) => row.kind === entry.stream && row.raw_base64 === keptOf(entry).toString('base64'))
  expect(rejected.map((entry) => ({ case: entry.name, ...pick(letterOf(entry)) }))).toEqual(
    rejected.map((entry) => ({ case: entry.name, stage: entry.expect.stage, reason: entry.expect.reason, detail: expect.stringMatching(entry.expect.detail) as unknown })),
  )
  expect(letters).toHaveLength(rejected.length)

  // Exactly the good records (and the deliberately accepted ones) are stored, and nothing else counted.
  for (const [kind, table] of Object.entries(RAW_TABLES) as [RecordKind, string][]) expect(await count(clickhouse, `SELECT count() FROM ${database}.${table}`), table).toBe(wanted[kind])
  const ids = await clickhouse.client.query({ query: `SELECT event_id FROM ${database}.client_events WHERE NOT startsWith(event_id, 'good-') ORDER BY event_id`, format: 'JSONEachRow' })
  expect((await ids.json<{ event_id: string }>()).map((row) => row.event_id)).toEqual([...accepted].sort())

  // Neither crashed nor stalled, and holds nothing: what it read is written and committed.
  await pollUntil(() => Promise.resolve(running.processor.bufferedRows), (n) => n === 0, { what: 'no buffered rows' })
  expect(running.fatal).toEqual([])
  expect(running.source.isConnected).toBe(true)

  // Nothing rejected was counted. A minute's row is written once its window closes; stopping writes
  // the windows still open as they stand.
  await running.stop()
  expect(await count(clickhouse, `SELECT sum(events) FROM ${database}.client_events_1m`)).toBe(wanted.client_event)
  expect(await count(clickhouse, `SELECT sum(flows) FROM ${database}.flows_1m`)).toBe(good.network_flow)
}

function refusedAsTooLarge(error: unknown): false {
  if (error instanceof KafkaJSProtocolError && error.type === 'MESSAGE_TOO_LARGE') return false
  throw error
}

function pick(letter: Letter | undefined): Partial<Letter> {
  return letter === undefined ? {} : { stage: letter.stage, reason: letter.reason, detail: letter.detail }
}

describe('bad input, one table on each source', () => {
  it('Kafka: every malformed record is one specific dead letter, and the good records after it land', async () => {
    const pipeline = await kafkaPipeline()
    const { kafka, streams } = pipeline.kafka
    const admin = kafka.admin()
    await admin.connect()
    onTestFinished(() => admin.disconnect())
    // The broker refuses batches over 1 MB by default; the 2 MB case needs the topic to take it.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: streams.client_event, configEntries: [{ name: 'max.message.bytes', value: String(8 * 1024 * 1024) }] }] })
    const producer = kafka.producer()
    await producer.connect()
    onTestFinished(() => producer.disconnect())
    const work = plan('kafka', Date.now())
    for (const [kind, values] of Object.entries(work.values) as [RecordKind, (Buffer | null)[]][]) {
      const send = (): Promise<boolean> => producer.send({ topic: streams[kind], messages: values.map((value) => ({ key: KEY, value, partition: 0 })) }).then(() => true, refusedAsTooLarge)
      // The broker applies a topic's new config asynchronously: until it has, it refuses the batch whole.
      await pollUntil(send, (sent) => sent, { what: `the broker to take the ${kind} batch` })
    }
    const running = await startKafkaProcessor(pipeline)
    await checkOutcome(pipeline.database, running, work)
  })

  it('Kinesis: every malformed record is one specific dead letter, and the good records after it land', async () => {
    const pipeline = await kinesisPipeline()
    const { client, streams } = pipeline.kinesis
    const work = plan('kinesis', Date.now())
    // PutRecord one at a time: PutRecords does not keep order within a shard.
    for (const [kind, values] of Object.entries(work.values) as [RecordKind, (Buffer | null)[]][]) {
      for (const value of values) await client.send(new PutRecordCommand({ StreamName: streams[kind], PartitionKey: KEY, Data: value ?? Buffer.alloc(0) }))
    }
    const running = await startProcessor(pipeline)
    await checkOutcome(pipeline.database, running, work)
  })
})
