// Contender 2: the naive pipeline a team writes first. kafkajs eachMessage; each message decoded on its
// own (the topics hold Avro single-object records, so the "JSON.parse" step is the same codec Pulse
// uses, per message); mapped to the raw table's row with no enrichment, aggregation or sessions;
// `@clickhouse/client` insert of 1,000 JSONEachRow rows, awaited inside eachMessage so consumption
// waits for it. A 1 s timer flushes a partial last batch (without it the tail would never land).
import { Kafka, logLevel } from 'kafkajs'
import type { ClickHouseClient } from '@clickhouse/client'
import { loadConfig } from '../../runtime/config.ts'
import { createLogger } from '../../runtime/logger.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { openSink, type Runtime } from '../../cli/roles.ts'
import { decode } from '../../schemas/codec.ts'
import { clientEventRow, networkFlowRow, UNKNOWN_OWNER, type Provenance } from '../../processors/rows.ts'
import type { Row } from '../../pipeline/rows.ts'
import { pulseConfig } from './pulse.ts'
import { avroTopics } from './workload.ts'
import type { ChildTask, Contender } from './types.ts'

const BATCH = 1000

class Batches {
  private readonly rows = new Map<string, Row[]>()
  private chain: Promise<void> = Promise.resolve()
  constructor(private readonly client: ClickHouseClient) {}

  async add(table: string, row: Row): Promise<void> {
    const rows = this.rows.get(table) ?? []
    rows.push(row)
    this.rows.set(table, rows)
    if (rows.length >= BATCH) await this.flush(table)
  }

  /** Inserts run one at a time, the way one awaited call after another would. */
  flush(table: string): Promise<void> {
    const rows = this.rows.get(table) ?? []
    this.rows.set(table, [])
    if (rows.length === 0) return this.chain
    this.chain = this.chain.then(() => this.client.insert({ table, values: rows, format: 'JSONEachRow' }).then(() => undefined))
    return this.chain
  }
}

export async function openBaseline(task: ChildTask): Promise<Contender> {
  const config = loadConfig({})
  const runtime: Runtime = { config: pulseConfig(task, 'unused'), logger: createLogger({ level: 'warn', pretty: false }), registry: createRegistry() }
  const abort = new AbortController()
  const sink = await openSink(runtime, abort.signal)
  const database = config.clickhouse.database
  const batches = new Batches(sink.clickhouse.client)
  const names = avroTopics(task.topics.prefix)
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: [task.brokers], logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `bench-baseline-${task.mode}` })
  const timer = setInterval(() => {
    for (const table of [`${database}.client_events`, `${database}.network_flows`]) void batches.flush(table).catch(() => undefined)
  }, 1000)
  return {
    database,
    sink,
    start: async () => {
      await consumer.connect()
      await consumer.subscribe({ topics: [names.client_event, names.network_flow], fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          if (message.value === null) return
          const from: Provenance = { ingestTimeMs: Date.now(), partition: String(partition), position: message.offset }
          if (topic === names.client_event) {
            const decoded = decode('client_event', message.value)
            if (decoded.ok) await batches.add(`${database}.client_events`, clientEventRow(decoded.value, from))
          } else {
            const decoded = decode('network_flow', message.value)
            if (decoded.ok) await batches.add(`${database}.network_flows`, networkFlowRow(decoded.value, UNKNOWN_OWNER, UNKNOWN_OWNER, from))
          }
        },
      })
    },
    stop: async () => {
      clearInterval(timer)
      await consumer.disconnect()
      abort.abort()
    },
  }
}
