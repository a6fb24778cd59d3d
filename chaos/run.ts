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
import { expectChaosTables, type ChaosExpectation } from './oracle-check.ts'
import { killAllProcessors } from './processors.ts'
import { runScenario, sourceOf } from './scenario.ts'
import type { ChaosEnv, ChaosKafka, ChaosOptions, ScenarioName, ScenarioResult } from './types.ts'
import { chaosStreams, produceWorkload, workloadKey, type StreamNames, type WorkloadSpec } from './workload.ts'

export interface OpenEnv extends ChaosEnv {
  close(): Promise<void>
}

/** The oracle's expectation per workload, computed once however many environments ask. */
export type ExpectationMemo = (spec: WorkloadSpec) => ChaosExpectation

export function expectationMemo(log: (line: string) => void): ExpectationMemo {
  const expectations = new Map<string, ChaosExpectation>()
  return (spec) => {
    const key = workloadKey(spec)
    const known = expectations.get(key)
    if (known !== undefined) return known
    const computed = expectChaosTables(spec)
    log(`oracle: the expected aggregates and sessions of ${spec.events} events and ${spec.flows} flows in ${computed.seconds.toFixed(1)} s`)
    expectations.set(key, computed)
    return computed
  }
}

export interface EnvSettings {
  runDir?: string
  expectation?: ExpectationMemo
  /** Event time of every load's first record; lanes of one run share it, so they load the same records. */
  startTime?: number
}

export async function openChaosEnv(options: ChaosOptions, log: (line: string) => void, settings: EnvSettings = {}): Promise<OpenEnv> {
  const dir = settings.runDir ?? (await mkdtemp(join(tmpdir(), 'pulse-chaos-')))
  const kafkaDir = join(dir, 'kafka')
  const clickhouseDir = join(dir, 'clickhouse')
  await mkdir(kafkaDir, { recursive: true })
  await mkdir(clickhouseDir, { recursive: true })
  log(`run directory ${dir} (child logs, broker and ClickHouse data)`)
  const clickhouse = await startClickHouse(clickhouseDir, await freePort(), dir)
  // A lane of Kinesis scenarios needs no broker (~250 MB and a share of a core, idle).
  let kafka: Promise<ChaosKafka> | undefined
  const startKafka = async (): Promise<ChaosKafka> => {
    const broker = await startChaosBroker(kafkaDir, log)
    return { broker, transport: benchTransport(broker.brokers, options.partitions) }
  }
  let kinesis: Promise<ChaosKinesis> | undefined
  const topics = new Map<string, Promise<StreamNames>>()
  const loadTopics = async (spec: WorkloadSpec): Promise<StreamNames> => {
    const { transport } = await (kafka ??= startKafka())
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
    const started = await kafka?.catch(() => undefined)
    await started?.transport.close().catch(() => undefined)
    await clickhouse.client.close().catch(() => undefined)
    await clickhouse.stop().catch(() => undefined)
    await started?.broker.stop().catch(() => undefined)
    // The logs stay for reading; the data (gigabytes at the default size) goes, unless kept to diagnose a failure.
    if (process.env.PULSE_CHAOS_KEEP_DATA === '1') return
    await rm(kafkaDir, { recursive: true, force: true })
    await rm(clickhouseDir, { recursive: true, force: true })
  }
  return {
    clickhouse,
    kafka: () => (kafka ??= startKafka()),
    kinesis: () => (kinesis ??= startChaosKinesis(options.kinesisEmulator)),
    expectation: settings.expectation ?? expectationMemo(log),
    kafkaTopics: (spec) => {
      const key = workloadKey(spec)
      const loaded = topics.get(key) ?? loadTopics(spec)
      topics.set(key, loaded)
      return loaded
    },
    // Ten minutes before now: the run's first windows are recent, as a live stream's would be.
    startTime: settings.startTime ?? Date.now() - 600_000,
    runDir: dir,
    log,
    close,
  }
}

/** The Kafka lane starts with the scenarios that wait most (a 60 s outage, a frozen zombie), while the Kinesis lane drains. */
const WAITS_FIRST: readonly ScenarioName[] = ['clickhouse-outage', 'zombie']

function inLaneOrder(lane: readonly ScenarioName[]): ScenarioName[] {
  return [...lane.filter((name) => WAITS_FIRST.includes(name)), ...lane.filter((name) => !WAITS_FIRST.includes(name))]
}

/**
 * The Kafka and the Kinesis scenarios share no broker or stream, so they run as two lanes side by
 * side, each with its own ClickHouse server (an outage stops only its own lane's) and one after
 * another within a lane: one lane's waits (a 60 s outage, a frozen zombie, sessions and leases
 * expiring after kills) are the other's working time. `sequential` runs them in one lane.
 */
export async function runChaos(options: ChaosOptions, names: readonly ScenarioName[], log: (line: string) => void, sequential = false): Promise<ScenarioResult[]> {
  const lanes = sequential ? [names] : [inLaneOrder(names.filter((name) => sourceOf(name) === 'kafka')), names.filter((name) => sourceOf(name) === 'kinesis')].filter((lane) => lane.length > 0)
  const expectation = expectationMemo(log)
  const startTime = Date.now() - 600_000
  const envs = await Promise.all(lanes.map(() => openChaosEnv(options, log, { expectation, startTime })))
  const interrupted = (): void => {
    log('interrupted: killing the processors, stopping the ClickHouse servers and the brokers')
    killAllProcessors()
    void Promise.all(envs.map((env) => env.close())).finally(() => process.exit(130))
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const results = new Map<ScenarioName, ScenarioResult>()
  try {
    await Promise.all(
      lanes.map(async (lane, index) => {
        const env = envs[index]
        if (env === undefined) return
        for (const name of lane) {
          const result = await runScenario(env, name, options)
          log(`${name}: ${result.passed ? 'PASS' : 'FAIL'}, lost ${result.lost}, duplicated ${result.duplicated}${result.notes.length > 0 ? `; ${result.notes.join('; ')}` : ''}`)
          results.set(name, result)
        }
      }),
    )
  } finally {
    process.off('SIGINT', interrupted)
    process.off('SIGTERM', interrupted)
    await Promise.all(envs.map((env) => env.close()))
  }
  return names.flatMap((name) => results.get(name) ?? [])
}
