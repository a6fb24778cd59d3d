// A chaos run: its own Kafka broker and ClickHouse server process (both restartable on the same
// ports and data dirs), the scenarios one after another, and a teardown that stops every child and
// the broker however the run ends (a failed scenario, an exception, Ctrl-C).
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { freePort } from '../infra/ports.ts'
import { benchTransport } from '../bench/pipelines/runner.ts'
import { startChaosBroker } from './broker.ts'
import { startClickHouse } from './clickhouse.ts'
import { startChaosKinesis, type ChaosKinesis } from './kinesis.ts'
import { killAllProcessors } from './processors.ts'
import { runScenario } from './scenario.ts'
import type { ChaosEnv, ChaosOptions, ScenarioName, ScenarioResult } from './types.ts'
import { chaosStreams, produceWorkload, type StreamNames, type WorkloadSpec } from './workload.ts'

export interface OpenEnv extends ChaosEnv {
  close(): Promise<void>
}

export async function openChaosEnv(options: ChaosOptions, log: (line: string) => void, runDir?: string): Promise<OpenEnv> {
  const dir = runDir ?? (await mkdtemp(join(tmpdir(), 'pulse-chaos-')))
  const kafkaDir = join(dir, 'kafka')
  const clickhouseDir = join(dir, 'clickhouse')
  await mkdir(kafkaDir, { recursive: true })
  await mkdir(clickhouseDir, { recursive: true })
  log(`run directory ${dir} (child logs, broker and ClickHouse data)`)
  const broker = await startChaosBroker(kafkaDir, log)
  const clickhouse = await startClickHouse(clickhouseDir, await freePort(), dir).catch(async (error: unknown) => {
    await broker.stop()
    throw error
  })
  const transport = benchTransport(broker.brokers, options.partitions)
  let kinesis: Promise<ChaosKinesis> | undefined
  const topics = new Map<string, Promise<StreamNames>>()
  const loadTopics = async (spec: WorkloadSpec): Promise<StreamNames> => {
    const streams = chaosStreams(`chaos-kafka-${Date.now().toString(36)}`)
    await transport.ensureStreams(Object.values(streams))
    const started = performance.now()
    await produceWorkload(transport, streams, spec)
    log(`loaded ${spec.events} events and ${spec.flows} flows onto ${streams.client_event} and its siblings in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return streams
  }
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await kinesis?.then((started) => started.stop()).catch(() => undefined)
    await transport.close().catch(() => undefined)
    await clickhouse.client.close().catch(() => undefined)
    await clickhouse.stop().catch(() => undefined)
    await broker.stop().catch(() => undefined)
    // The logs stay for reading; the data (gigabytes at the default size) goes.
    await rm(kafkaDir, { recursive: true, force: true })
    await rm(clickhouseDir, { recursive: true, force: true })
  }
  return {
    broker,
    clickhouse,
    transport,
    kinesis: () => (kinesis ??= startChaosKinesis(options.kinesisEmulator)),
    kafkaTopics: (spec) => {
      const key = `${spec.events}/${spec.flows}/${spec.seed}/${spec.startTime}`
      const loaded = topics.get(key) ?? loadTopics(spec)
      topics.set(key, loaded)
      return loaded
    },
    // Ten minutes before now: the run's first windows are recent, as a live stream's would be.
    startTime: Date.now() - 600_000,
    runDir: dir,
    log,
    close,
  }
}

export async function runChaos(options: ChaosOptions, names: readonly ScenarioName[], log: (line: string) => void): Promise<ScenarioResult[]> {
  const env = await openChaosEnv(options, log)
  const interrupted = (): void => {
    log('interrupted: killing the processors, stopping the ClickHouse server and the broker')
    killAllProcessors()
    void env.close().finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const results: ScenarioResult[] = []
  try {
    for (const name of names) {
      const result = await runScenario(env, name, options)
      log(`${name}: ${result.passed ? 'PASS' : 'FAIL'}, lost ${result.lost}, duplicated ${result.duplicated}${result.notes.length > 0 ? `; ${result.notes.join('; ')}` : ''}`)
      results.push(result)
    }
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await env.close()
  }
  return results
}
