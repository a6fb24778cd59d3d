// The seeded workload of a run: client events, then flows with the IP assignments they need, Avro as
// Pulse's producers write them, sent in large chunks (a transport splits them into broker batches or
// PutRecords requests) so a million events load in well under a minute. The same spec always makes
// the same records, so Kafka's topics, each Kinesis scenario's streams and the oracle see one set.
import { createClientTraffic, createFlowTraffic } from '../producers/generators/index.ts'
import type { OutgoingRecord, Transport } from '../producers/transport.ts'
import { encode } from '../schemas/codec.ts'
import type { RecordKind } from '../schemas/types.ts'

const CHUNK = 20_000

export interface WorkloadSpec {
  events: number
  flows: number
  seed: number
  /** Event time of the first record; fixed for the run so every load makes the same records. */
  startTime: number
}

/** Two specs with one key make the same records. */
export function workloadKey(spec: WorkloadSpec): string {
  return `${spec.events}/${spec.flows}/${spec.seed}/${spec.startTime}`
}

export type StreamNames = Record<RecordKind, string>

export function chaosStreams(prefix: string): StreamNames {
  return { client_event: `${prefix}-client-events`, network_flow: `${prefix}-network-flows`, ip_assignment: `${prefix}-ip-assignments` }
}

/** A slice of the workload by record count (client events first, then flows): [from, to) of events + flows. */
export interface Slice {
  from: number
  to: number
}

export const WHOLE: Slice = { from: 0, to: Number.POSITIVE_INFINITY }

/** The generators with the harness's settings: no duplicates, no late sends (the run asks for no dead letter). */
export function clientTraffic(spec: WorkloadSpec): ReturnType<typeof createClientTraffic> {
  // The generator's default sends 1 % up to 30 min late: a late event is dead-lettered as too_late once its window closed.
  return createClientTraffic({ seed: spec.seed, startTime: spec.startTime, duplicateFraction: 0, lateFraction: 0 })
}

export function flowTraffic(spec: WorkloadSpec): ReturnType<typeof createFlowTraffic> {
  return createFlowTraffic({ seed: spec.seed, startTime: spec.startTime })
}

/** Puts the slice of the workload on `streams` through `transport`, in the order the whole would go. */
export async function produceWorkload(transport: Transport, streams: StreamNames, spec: WorkloadSpec, slice: Slice = WHOLE): Promise<void> {
  const inSlice = (index: number): boolean => index >= slice.from && index < slice.to
  const clients = clientTraffic(spec)
  let chunk: OutgoingRecord[] = []
  for (let i = 0; i < spec.events; i++) {
    const item = clients.next()
    if (inSlice(i)) chunk.push({ key: item.key, value: encode('client_event', item.record) })
    if (chunk.length >= CHUNK || (i === spec.events - 1 && chunk.length > 0)) {
      await transport.send(streams.client_event, chunk)
      chunk = []
    }
  }
  const fleet = flowTraffic(spec)
  let assignments: OutgoingRecord[] = []
  for (let sent = 0; sent < spec.flows; ) {
    const item = fleet.next()
    if (item.kind === 'ip_assignment') {
      // Every assignment goes with the slice of the flows after it, so a later slice still attributes them.
      if (inSlice(spec.events + sent)) assignments.push({ key: item.key, value: encode('ip_assignment', item.record) })
      continue
    }
    if (inSlice(spec.events + sent)) chunk.push({ key: item.key, value: encode('network_flow', item.record) })
    sent++
    if (chunk.length >= CHUNK || (sent === spec.flows && (chunk.length > 0 || assignments.length > 0))) {
      // Assignments first: the flows of this chunk are attributed with them.
      await transport.send(streams.ip_assignment, assignments)
      await transport.send(streams.network_flow, chunk)
      assignments = []
      chunk = []
    }
  }
}
