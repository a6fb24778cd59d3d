// One scenario from start to verdict: fresh topics loaded with the seeded workload, a fresh consumer
// group and database, real `pulse process` children draining it while the scenario's faults run,
// then a graceful stop of every child and the count against the produced set.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { ChaosTimeout, waitFor } from './deadline.ts'
import { brokerRestarts, clickhouseOutage, kills, zombie } from './faults.ts'
import { ProcessorFleet } from './processors.ts'
import { Progress } from './progress.ts'
import { seededRng } from './seeded.ts'
import { chaosTopics, produceWorkload } from './workload.ts'
import { duplicated, lost, readCounts, type Verdict } from './verify.ts'
import type { ChaosEnv, ChaosOptions, FaultContext, ScenarioName, ScenarioResult } from './types.ts'

interface Spec {
  inject: (ctx: FaultContext) => Promise<string>
  extraArgs: readonly string[]
  /** The negative control passes only when the harness sees duplicates. */
  expectDuplicates: boolean
}

const SPECS: Record<ScenarioName, Spec> = {
  'kafka-kills': { inject: kills, extraArgs: [], expectDuplicates: false },
  // Without insert deduplication tokens a block replayed after a kill lands twice: proof the harness sees it.
  'negative-control': { inject: kills, extraArgs: ['--no-dedup', '--dedup-horizon-ms', '0'], expectDuplicates: true },
  'broker-restarts': { inject: brokerRestarts, extraArgs: [], expectDuplicates: false },
  'clickhouse-outage': { inject: clickhouseOutage, extraArgs: [], expectDuplicates: false },
  zombie: { inject: zombie, extraArgs: [], expectDuplicates: false },
}

/** Once every row counted has arrived, the rest (if any is missing) gets this long to come. */
const SETTLE_MS = 30_000

function describeError(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.name : String(error)
}

export async function runScenario(env: ChaosEnv, name: ScenarioName, options: ChaosOptions): Promise<ScenarioResult> {
  const spec = SPECS[name]
  const started = performance.now()
  const tag = `${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`
  const topics = chaosTopics(`chaos-${name}-${tag.replace('_', '-')}`)
  const database = `chaos_${name.replaceAll('-', '_')}_${tag}`
  await env.transport.ensureStreams([topics.client_event, topics.network_flow, topics.ip_assignment])
  const loadStart = performance.now()
  await produceWorkload(env.transport, topics, options.events, options.flows, options.seed)
  env.log(`${name}: loaded ${options.events} events and ${options.flows} flows in ${((performance.now() - loadStart) / 1000).toFixed(1)} s onto ${topics.prefix}-*`)

  const fleet = new ProcessorFleet({
    brokers: env.broker.brokers,
    topicPrefix: topics.prefix,
    groupId: `chaos-${name}-${tag}`,
    partitions: options.partitions,
    clickhouseUrl: env.clickhouse.url,
    database,
    sessionTimeoutMs: options.sessionTimeoutMs,
    runDir: env.runDir,
    extraArgs: [...spec.extraArgs, ...(options.batchRows === undefined ? [] : ['--batch-rows', String(options.batchRows), '--flush-interval-ms', '200'])],
  })
  const target = options.events + options.flows
  const progress = new Progress(env.clickhouse.client, database, target, options.stallMs, () => {
    fleet.sampleRss()
    fleet.restartDead()
  })
  const notes: string[] = []
  const ctx: FaultContext = { env, options, fleet, progress, rng: seededRng(options.seed ^ hash(name)), injected: { count: 0 }, notes }
  let faults = 'none'
  try {
    for (let index = 0; index < options.processors; index++) fleet.start(index)
    progress.start()
    faults = await spec.inject(ctx)
    await progress.until(1)
    env.log(`${name}: ${progress.current()} rows visible after ${((performance.now() - started) / 1000).toFixed(0)} s; waiting for the unique counts`)
    await waitFor(`every produced event and flow in ${database}`, SETTLE_MS, () => readCounts(env.clickhouse.client, database), (counts) => counts.events.unique >= options.events && counts.flows.unique >= options.flows, 500).catch((error: unknown) => {
      if (!(error instanceof ChaosTimeout)) throw error
      notes.push(describeError(error))
    })
  } catch (error) {
    if (faults === 'none') faults = `${ctx.injected.count} fault(s) injected before the failure`
    notes.push(`FAILED: ${describeError(error)}`)
  } finally {
    await progress.stop()
    const forced = await fleet.stopAll()
    if (forced.length > 0) notes.push(`processor(s) ${forced.join(', ')} ignored SIGTERM for 30 s and were killed`)
  }
  const verdict = await readCounts(env.clickhouse.client, database).catch((error: unknown) => {
    notes.push(`could not count: ${describeError(error)}`)
    return undefined
  })
  for (const exit of fleet.unexpected) notes.push(`processor ${exit.slot} exited on its own (${exit.signal ?? `code ${String(exit.code)}`}), log ${exit.log}`)
  return judge({ name, faults, options, verdict, notes, spec, fleet, progress, seconds: (performance.now() - started) / 1000 })
}

interface Judged {
  name: ScenarioName
  faults: string
  options: ChaosOptions
  verdict: Verdict | undefined
  notes: string[]
  spec: Spec
  fleet: ProcessorFleet
  progress: Progress
  seconds: number
}

function judge(j: Judged): ScenarioResult {
  const { options, verdict, notes } = j
  const lostCount = verdict === undefined ? Number.NaN : lost(verdict, options.events, options.flows)
  const dupCount = verdict === undefined ? Number.NaN : duplicated(verdict)
  const dead = verdict?.deadLetters ?? Number.NaN
  if (dead !== 0) notes.push(`${dead} dead letter(s), the workload asked for none`)
  const failed = notes.some((note) => note.startsWith('FAILED') || note.startsWith('could not count'))
  const dupOk = j.spec.expectDuplicates ? dupCount > 0 : dupCount === 0
  // The negative control may also lose nothing; what it must do is show the duplicates.
  const passed = !failed && lostCount === 0 && dupOk && dead === 0
  if (j.spec.expectDuplicates && !(dupCount > 0)) notes.push('the harness saw no duplicates without dedup tokens')
  return {
    name: j.name,
    faults: j.faults,
    events: options.events,
    flows: options.flows,
    lost: lostCount,
    duplicated: dupCount,
    deadLetters: dead,
    peakRssMiB: Math.round(j.fleet.peakRssBytes() / 2 ** 20),
    longestRecoveryMs: j.progress.longestRecoveryMs(),
    seconds: j.seconds,
    passed,
    notes,
    logs: j.fleet.logs,
  }
}

/** A stable per-scenario variation of the seed, so scenarios do not share one schedule. */
function hash(text: string): number {
  let h = 2166136261
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 16777619)
  return h >>> 0
}
