// Contender 4, the ceiling: the same rows inserted straight into chDB from memory through Pulse's own
// sink (same insert format), no broker, no processing (rows are built before the clock starts, in
// the workload's chunks of 20,000 events, Pulse's batch size until 2026-12-07), and
// how fast one core decodes the workload's records: Avro through the codec, JSON.parse alone, and
// JSON through the codec (parse and schema check).
import { performance } from 'node:perf_hooks'
import { decode } from '../../schemas/codec.ts'
import { clientEventRow, networkFlowRow, UNKNOWN_OWNER } from '../../processors/rows.ts'
import type { ClickHouseSink } from '../../sinks/clickhouse/sink.ts'
import type { Row } from '../../pipeline/rows.ts'
import type { OutgoingRecord } from '../../producers/transport.ts'
import { cpuSeconds } from './measure.ts'
import { workloadChunks, type Outgoing } from './workload.ts'
import type { ChildTask } from './types.ts'

export interface CeilingResult {
  seconds: number
  cpuSeconds: number
  rows: number
  decode: { avro: number; jsonParse: number; jsonCodec: number }
}

function rowsOf(chunk: Outgoing): { client: Row[]; flows: Row[] } {
  const from = { ingestTimeMs: Date.now(), partition: '0', position: '0' }
  const client: Row[] = []
  const flows: Row[] = []
  for (const record of chunk.avro.client_event) {
    const decoded = decode('client_event', record.value)
    if (decoded.ok) client.push(clientEventRow(decoded.value, from))
  }
  for (const record of chunk.avro.network_flow) {
    const decoded = decode('network_flow', record.value)
    if (decoded.ok) flows.push(networkFlowRow(decoded.value, UNKNOWN_OWNER, UNKNOWN_OWNER, from))
  }
  return { client, flows }
}

/** Records per second for `work` over `records`, repeated until at least a second has passed. */
function perSecond(records: readonly OutgoingRecord[], work: (value: Buffer) => unknown): number {
  let done = 0
  const start = performance.now()
  while (performance.now() - start < 1000) {
    for (const record of records) work(record.value)
    done += records.length
  }
  return done / ((performance.now() - start) / 1000)
}

export async function runCeiling(task: ChildTask, sink: ClickHouseSink): Promise<CeilingResult> {
  let seconds = 0
  let cpu = 0
  let rows = 0
  let sample: Outgoing | undefined
  for (const chunk of workloadChunks(task.events, task.flows, task.seed)) {
    sample ??= chunk
    const built = rowsOf(chunk)
    const usage = process.resourceUsage()
    const start = performance.now()
    await sink.write({ table: 'client_events', rows: built.client, token: undefined })
    await sink.write({ table: 'network_flows', rows: built.flows, token: undefined })
    seconds += (performance.now() - start) / 1000
    cpu += cpuSeconds(usage)
    rows += built.client.length + built.flows.length
  }
  const avro = sample?.avro.client_event ?? []
  const json = sample?.json.client_event ?? []
  const decodeRates = {
    avro: perSecond(avro, (value) => decode('client_event', value)),
    jsonParse: perSecond(json, (value) => JSON.parse(value.toString('utf8')) as unknown),
    jsonCodec: perSecond(json, (value) => decode('client_event', value)),
  }
  return { seconds, cpuSeconds: cpu, rows, decode: decodeRates }
}
