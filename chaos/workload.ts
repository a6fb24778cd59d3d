// Loads the seeded workload onto one scenario's fresh topics: client events, then flows with the IP
// assignments they need, Avro-encoded as Pulse's producers write them, sent in large chunks (the
// transport splits them into broker batches) so a million events load in well under a minute.
import { createClientTraffic, createFlowTraffic } from '../producers/generators/index.ts'
import type { KafkaTransport } from '../producers/kafka/kafka-transport.ts'
import type { OutgoingRecord } from '../producers/transport.ts'
import { encode } from '../schemas/codec.ts'

const CHUNK = 20_000

export interface ChaosTopics {
  prefix: string
  client_event: string
  network_flow: string
  ip_assignment: string
}

export function chaosTopics(prefix: string): ChaosTopics {
  return { prefix, client_event: `${prefix}-client-events`, network_flow: `${prefix}-network-flows`, ip_assignment: `${prefix}-ip-assignments` }
}

/** Event times near "now", so no window is late and the ordinary watermark path runs. */
export async function produceWorkload(transport: KafkaTransport, topics: ChaosTopics, events: number, flows: number, seed: number): Promise<void> {
  const startTime = Date.now() - 600_000
  // No deliberate late sends (the generator's default sends 1 % up to 30 min late): a late event is
  // dead-lettered as too_late once its window closed, and the run must ask for no dead letter at all.
  const clients = createClientTraffic({ seed, startTime, duplicateFraction: 0, lateFraction: 0 })
  let chunk: OutgoingRecord[] = []
  for (let i = 0; i < events; i++) {
    const item = clients.next()
    chunk.push({ key: item.key, value: encode('client_event', item.record) })
    if (chunk.length >= CHUNK || i === events - 1) {
      await transport.send(topics.client_event, chunk)
      chunk = []
    }
  }
  const fleet = createFlowTraffic({ seed, startTime })
  let assignments: OutgoingRecord[] = []
  for (let sent = 0; sent < flows; ) {
    const item = fleet.next()
    if (item.kind === 'ip_assignment') {
      assignments.push({ key: item.key, value: encode('ip_assignment', item.record) })
      continue
    }
    chunk.push({ key: item.key, value: encode('network_flow', item.record) })
    sent++
    if (chunk.length >= CHUNK || sent === flows) {
      // Assignments first: the flows of this chunk are attributed with them.
      await transport.send(topics.ip_assignment, assignments)
      await transport.send(topics.network_flow, chunk)
      assignments = []
      chunk = []
    }
  }
}
