// The fixed, seeded workload: generated client events and flows (with the IP assignments the flows
// need), Avro single-object encoded on Pulse's topics and as JSON (one record per message, the shape
// ClickHouse's JSONEachRow reads) on a second set of topics. Generated and sent in chunks so the parent
// never holds a million records at once.
import { createClientTraffic, createFlowTraffic } from '../../producers/generators/index.ts'
import type { KafkaTransport } from '../../producers/kafka/kafka-transport.ts'
import type { OutgoingRecord } from '../../producers/transport.ts'
import type { Row } from '../../pipeline/rows.ts'
import { clientEventRow } from '../../processors/rows.ts'
import { decode, encode } from '../../schemas/codec.ts'
import type { RecordKind } from '../../schemas/types.ts'
import type { Topics } from './types.ts'

const CHUNK = 20_000
/** Event times near "now" so no window is late and Pulse's watermark logic runs its ordinary path. */
const START_TIME = Date.now() - 600_000

export interface Outgoing {
  avro: Record<RecordKind, OutgoingRecord[]>
  json: { client_event: OutgoingRecord[]; network_flow: OutgoingRecord[] }
}

function emptyChunk(): Outgoing {
  return { avro: { client_event: [], network_flow: [], ip_assignment: [] }, json: { client_event: [], network_flow: [] } }
}

/** Yields chunks of the workload: `events` client events, then flows until `flows` flow records. */
export function* workloadChunks(events: number, flows: number, seed: number): Generator<Outgoing> {
  const clients = createClientTraffic({ seed, startTime: START_TIME, duplicateFraction: 0 })
  let chunk = emptyChunk()
  for (let i = 0; i < events; i++) {
    const item = clients.next()
    chunk.avro.client_event.push({ key: item.key, value: encode('client_event', item.record) })
    chunk.json.client_event.push({ key: item.key, value: Buffer.from(JSON.stringify(item.record)) })
    if (chunk.avro.client_event.length >= CHUNK) {
      yield chunk
      chunk = emptyChunk()
    }
  }
  const fleet = createFlowTraffic({ seed, startTime: START_TIME })
  for (let sent = 0; sent < flows; ) {
    const item = fleet.next()
    if (item.kind === 'ip_assignment') {
      chunk.avro.ip_assignment.push({ key: item.key, value: encode('ip_assignment', item.record) })
      continue
    }
    chunk.avro.network_flow.push({ key: item.key, value: encode('network_flow', item.record) })
    chunk.json.network_flow.push({ key: item.key, value: Buffer.from(JSON.stringify(item.record)) })
    sent++
    if (chunk.avro.network_flow.length >= CHUNK) {
      yield chunk
      chunk = emptyChunk()
    }
  }
  yield chunk
}

/**
 * The first `count` client events of the workload as the raw rows Pulse writes for them (decoded,
 * mapped, provenance of one partition): what the insert benches send through the sink's path.
 */
export function clientEventRows(count: number, seed: number): Row[] {
  const from = { ingestTimeMs: Date.UTC(2026, 11, 1), partition: '0', position: '0' }
  const rows: Row[] = []
  for (const chunk of workloadChunks(count, 0, seed)) {
    for (const record of chunk.avro.client_event) {
      const decoded = decode('client_event', record.value)
      if (decoded.ok) rows.push(clientEventRow(decoded.value, from))
    }
  }
  return rows
}

export function avroTopics(prefix: string): Record<RecordKind, string> {
  return { client_event: `${prefix}-client-events`, network_flow: `${prefix}-network-flows`, ip_assignment: `${prefix}-ip-assignments` }
}

export function allTopics(topics: Topics): string[] {
  return [...Object.values(avroTopics(topics.prefix)), topics.jsonClientEvents, topics.jsonFlows]
}

/** Sends the whole workload; Avro and JSON copies go through two producers at once. */
export async function produceWorkload(avro: KafkaTransport, json: KafkaTransport, topics: Topics, events: number, flows: number, seed: number): Promise<void> {
  const names = avroTopics(topics.prefix)
  for (const chunk of workloadChunks(events, flows, seed)) {
    // Assignments first: the flows of this chunk are attributed with them.
    await avro.send(names.ip_assignment, chunk.avro.ip_assignment)
    await Promise.all([
      (async () => {
        await avro.send(names.client_event, chunk.avro.client_event)
        await avro.send(names.network_flow, chunk.avro.network_flow)
      })(),
      (async () => {
        await json.send(topics.jsonClientEvents, chunk.json.client_event)
        await json.send(topics.jsonFlows, chunk.json.network_flow)
      })(),
    ])
  }
}
