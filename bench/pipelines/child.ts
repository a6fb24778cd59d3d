// A contender's child process (one per contender and run, so each has its own chDB data directory,
// heap and JIT, and its CPU and peak RSS are its own). Prints READY once consuming when paced, then
// one JSON line with its result on stdout.
import { performance } from 'node:perf_hooks'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { openBaseline } from './baseline.ts'
import { runCeiling } from './ceiling.ts'
import { openKafkaEngine } from './kafka-engine.ts'
import { cpuSeconds, peakRssBytes, quantile, threadCpuSeconds, threadCpuSince, waitForRows, watchFreshness } from './measure.ts'
import { openPulse } from './pulse.ts'
import { READY_LINE, type ChildResult, type ChildTask, type Contender } from './types.ts'

/** A drain that takes longer than this has hung; the parent's 10-minute budget would be gone anyway. */
const TIMEOUT_MS = 8 * 60_000

function open(task: ChildTask): Promise<Contender> {
  if (task.contender === 'pulse' || task.contender === 'pulse-raw' || task.contender === 'pulse-server') return openPulse(task)
  if (task.contender === 'baseline') return openBaseline(task)
  return openKafkaEngine(task)
}

/** Who counts the rows: the contender's own client, or an analyst's where the writer may not read them. */
function observer(task: ChildTask, contender: Contender): ClickHouseClient {
  if (task.clickhouse === undefined) return contender.sink.clickhouse.client
  return createClient({ url: task.clickhouse.url, username: 'pulse_analyst', password: task.clickhouse.analystPassword })
}

async function drain(task: ChildTask, contender: Contender): Promise<ChildResult> {
  const usage = process.resourceUsage()
  const threadsBefore = threadCpuSeconds()
  const start = performance.now()
  await contender.start()
  const { database } = contender
  await waitForRows(observer(task, contender), { [`${database}.client_events`]: task.events, [`${database}.network_flows`]: task.flows }, TIMEOUT_MS)
  const seconds = (performance.now() - start) / 1000
  const cpu = cpuSeconds(usage)
  const threads = threadCpuSince(threadsBefore)
  return { contender: task.contender, mode: 'drain', seconds, rows: task.events + task.flows, cpuSeconds: cpu, peakRssBytes: 0, threads }
}

async function paced(task: ChildTask, contender: Contender): Promise<ChildResult> {
  const usage = process.resourceUsage()
  const start = performance.now()
  await contender.start()
  process.stdout.write(`${READY_LINE}\n`)
  const samples = await watchFreshness(contender.sink.clickhouse.client, `${contender.database}.client_events`, task.events, TIMEOUT_MS)
  const sorted = samples.sort((a, b) => a - b)
  const freshness = { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), samples: sorted.length }
  return { contender: task.contender, mode: 'paced', seconds: (performance.now() - start) / 1000, rows: task.events, cpuSeconds: cpuSeconds(usage), peakRssBytes: 0, freshness }
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as ChildTask
  if (task.contender === 'ceiling') {
    const contender = await openPulse(task)
    const result = await runCeiling(task, contender.sink.sink)
    await contender.sink.clickhouse.close()
    const line: ChildResult = { contender: 'ceiling', mode: 'drain', ...result, peakRssBytes: peakRssBytes() }
    process.stdout.write(`${JSON.stringify(line)}\n`)
    return
  }
  const contender = await open(task)
  const result = task.mode === 'drain' ? await drain(task, contender) : await paced(task, contender)
  await contender.stop()
  // Counted after stop: its final flush writes the windows and sessions still open.
  const rowsWritten = await contender.rowsWritten?.()
  await contender.sink.clickhouse.close()
  process.stdout.write(`${JSON.stringify({ ...result, ...(rowsWritten === undefined ? {} : { rowsWritten }), peakRssBytes: peakRssBytes() })}\n`)
}

await main()
// kafkajs and chDB may hold handles open after close; the result is out, so end here.
process.exit(0)
