// Pulse's own work per event, without a broker or a database: the bench workload, decoded, validated,
// enriched, windowed and cut into blocks by the real StreamProcessor, each block encoded as the sink
// would send it (RowBinary) and then dropped. What remains is the JavaScript a processor runs per
// event, so a change to the hot path can be measured in seconds on a busy machine: CPU time, not wall
// time, best of several rounds, and the share the garbage collector took.
//
//   npx tsx bench/hot-path.ts [--events 200000] [--flows 40000] [--rounds 3] [--no-derived]
import { PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Gauge, Histogram, Registry } from 'prom-client'
import type { Checkpoint, CheckpointStore } from '../pipeline/checkpoint.ts'
import type { Block, RejectedRow, RowBuffer, Sink } from '../pipeline/sink.ts'
import type { BatchHandler, PartitionLifecycle, Source, SourceBatch, SourceRecord } from '../pipeline/source.ts'
import type { StateStore } from '../pipeline/state.ts'
import { StreamProcessor } from '../processors/stream-processor.ts'
import { loadConfig } from '../runtime/config.ts'
import { errorMessage } from '../runtime/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { encodeBlock } from '../sinks/clickhouse/encode/block-encoder.ts'
import { binaryRowBuffer } from '../sinks/clickhouse/encode/row-buffer.ts'
import type { RecordKind } from '../schemas/types.ts'
import { avroTopics, workloadChunks } from './pipelines/workload.ts'

const PARTITIONS = 4
/** Records per batch handed to the processor: what one kafkajs fetch of a partition brings, roughly. */
const BATCH = 500

type Streams = Record<RecordKind, string>

/** The workload as batches per partition, in the order the bench produces it (assignments first). */
function loadWorkload(events: number, flows: number, streams: Streams): SourceBatch[] {
  const byPartition = new Map<string, SourceRecord[]>()
  const batches: SourceBatch[] = []
  const add = (stream: string, key: string, value: Buffer): void => {
    const partition = String(hash(key) % PARTITIONS)
    const id = `${stream}\0${partition}`
    let records = byPartition.get(id)
    if (records === undefined) byPartition.set(id, (records = []))
    records.push({ position: String(records.length), data: value, streamTimeMs: undefined })
  }
  for (const chunk of workloadChunks(events, flows, 7)) {
    for (const kind of ['ip_assignment', 'client_event', 'network_flow'] as const) {
      for (const record of chunk.avro[kind]) add(streams[kind], record.key, record.value)
    }
  }
  for (const [id, records] of byPartition) {
    const [stream = '', partition = ''] = id.split('\0')
    for (let i = 0; i < records.length; i += BATCH) batches.push({ stream, partition, records: records.slice(i, i + BATCH) })
  }
  // Partitions interleaved batch by batch, as a consumer of several partitions sees them.
  return interleave(batches)
}

function interleave(batches: SourceBatch[]): SourceBatch[] {
  const queues = new Map<string, SourceBatch[]>()
  for (const batch of batches) {
    const id = `${batch.stream}\0${batch.partition}`
    const queue = queues.get(id) ?? []
    queue.push(batch)
    queues.set(id, queue)
  }
  const order: SourceBatch[] = []
  for (let round = 0; order.length < batches.length; round++) for (const queue of queues.values()) if (round < queue.length) order.push(queue[round] as SourceBatch)
  return order
}

function hash(text: string): number {
  let value = 0
  for (let i = 0; i < text.length; i++) value = (Math.imul(value, 31) + text.charCodeAt(i)) | 0
  return value >>> 0
}

class MemorySource implements Source {
  readonly name = 'kafka'
  readonly isConnected = true
  constructor(private readonly batches: readonly SourceBatch[]) {}
  async start(handler: BatchHandler, _lifecycle?: PartitionLifecycle): Promise<void> {
    for (const batch of this.batches) await handler(batch)
  }
  commit(): Promise<void> {
    return Promise.resolve()
  }
  /** The hot path is measured without enrichment waits: every record is in memory from the start. */
  covers(): Promise<boolean> {
    return Promise.resolve(true)
  }
  stop(): Promise<void> {
    return Promise.resolve()
  }
}

/** Encodes every block as the ClickHouse sink would send it, then drops it. */
class EncodingSink implements Sink {
  readonly isWritable = true
  rows = 0
  bytes = 0
  write(block: Block): Promise<RejectedRow[]> {
    if (block.encoded !== undefined) {
      this.bytes += block.encoded.bytes.length
      this.rows += block.encoded.rowStarts.length
    } else if (block.rows.length > 0) {
      this.bytes += encodeBlock(block.table, block.rows, 'RowBinary').bytes.length
      this.rows += block.rows.length
    }
    return Promise.resolve([])
  }
  /** As the ClickHouse sink: rows are encoded as they arrive. */
  rowBuffer(table: string): RowBuffer | undefined {
    return binaryRowBuffer(table)
  }
  retrying<T>(_what: string, operation: () => Promise<T>): Promise<T> {
    return operation()
  }
}

const noCheckpoints: CheckpointStore = { load: () => Promise.resolve(new Map<string, Checkpoint>()), write: () => Promise.resolve() }
const noState: StateStore = { assignmentsSince: () => Promise.resolve([]), clientEvents: () => [], endedSessions: () => Promise.resolve([]) }

interface RoundResult {
  cpuSeconds: number
  gcSeconds: number
  rows: number
}

async function runRound(batches: readonly SourceBatch[], streams: Streams, derived: boolean): Promise<RoundResult> {
  const config = loadConfig({})
  const registry = new Registry()
  const sink = new EncodingSink()
  const kinds = new Map(Object.entries(streams).map(([kind, stream]) => [stream, kind as RecordKind]))
  let fatal: unknown
  const processor = new StreamProcessor({
    source: new MemorySource(batches),
    sink,
    checkpoints: noCheckpoints,
    state: noState,
    kindOf: (stream) => kinds.get(stream) as RecordKind,
    registry,
    logger: createLogger({ level: 'warn', pretty: false }),
    batchRows: config.clickhouse.batchRows,
    flushIntervalMs: config.clickhouse.flushIntervalMs,
    dedup: true,
    // No hold-back: flows would otherwise wait for the clock, and this measures work, not waiting.
    processing: { ...config.processing, derived, enrichHoldBackMs: 0, windowMs: config.processing.windowSeconds * 1000 },
    freshness: new Histogram({ name: 'freshness', help: 'h', labelNames: ['table'], registers: [registry] }),
    bufferedRows: new Gauge({ name: 'buffered', help: 'g', registers: [registry] }),
    maxBufferedBytes: config.clickhouse.maxBufferedBytes,
    onFatal: (error) => (fatal = error),
  })
  let gcMs = 0
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration
  })
  gc.observe({ entryTypes: ['gc'] })
  const before = process.cpuUsage()
  await processor.start()
  await processor.stop()
  const used = process.cpuUsage(before)
  // GC entries are delivered on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc.disconnect()
  if (fatal !== undefined) throw fatal instanceof Error ? fatal : new Error(errorMessage(fatal))
  return { cpuSeconds: (used.user + used.system) / 1e6, gcSeconds: gcMs / 1000, rows: sink.rows }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '200000' }, flows: { type: 'string', default: '40000' }, rounds: { type: 'string', default: '3' }, derived: { type: 'boolean', default: true }, 'no-derived': { type: 'boolean' } },
  })
  const events = Number(values.events)
  const flows = Number(values.flows)
  const derived = values['no-derived'] !== true
  const streams = avroTopics('hot')
  const batches = loadWorkload(events, flows, streams)
  const inputEvents = events + flows
  const results: RoundResult[] = []
  for (let round = 0; round < Number(values.rounds); round++) {
    const result = await runRound(batches, streams, derived)
    results.push(result)
    console.log(`round ${round + 1}: ${((result.cpuSeconds / inputEvents) * 1e6).toFixed(1)} CPU s / M events (GC ${((result.gcSeconds / inputEvents) * 1e6).toFixed(1)}), ${(result.rows / inputEvents).toFixed(3)} rows per event`)
  }
  const best = results.reduce((a, b) => (b.cpuSeconds < a.cpuSeconds ? b : a))
  console.log(`best of ${results.length} (${derived ? 'defaults' : '--no-derived'}, ${inputEvents.toLocaleString('en-US')} events): ${((best.cpuSeconds / inputEvents) * 1e6).toFixed(1)} CPU s / M events, GC ${((best.gcSeconds / inputEvents) * 1e6).toFixed(1)}`)
}

await main()
