// One scenario from start to verdict: the seeded workload on the run's Kafka topics (a fresh consumer
// group) or on fresh Kinesis streams (a fresh lease table), a fresh database, real `pulse process`
// children draining it while the scenario's faults run, then a graceful stop of every child and the
// count against the produced set.
import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePorts } from '../infra/ports.ts'
import { ChaosTimeout, waitFor } from './deadline.ts'
import { brokerRestarts, clickhouseOutage, kills, killsWithin, zombie } from './faults.ts'
import { kafkaArgs, kinesisArgs } from './processor-args.ts'
import { ProcessorFleet } from './processors.ts'
import { Progress } from './progress.ts'
import { checkAgainstOracle } from './oracle-check.ts'
import { childrenRead, reshard } from './reshard.ts'
import { seededRng } from './seeded.ts'
import { chaosStreams, produceWorkload, WHOLE, type Slice, type StreamNames, type WorkloadSpec } from './workload.ts'
import { duplicated, lost, readCounts, type Verdict } from './verify.ts'
import type { ChaosEnv, ChaosOptions, FaultContext, ScenarioName, ScenarioResult } from './types.ts'

interface Spec {
  source: 'kafka' | 'kinesis'
  inject: (ctx: FaultContext) => Promise<string>
  extraArgs: readonly string[]
  /** The negative control passes only when the harness sees duplicates. */
  expectDuplicates: boolean
  /** What is on the streams before the members start (the reshard puts the rest on after it). */
  preload: (spec: WorkloadSpec) => Slice
  /** A scenario's own condition on the drained tables: a failure to report, or undefined. */
  afterDrain?: (client: ClickHouseClient, database: string) => Promise<string | undefined>
  /**
   * Open partitions per stream once the faults are over, when known: the stop waits until the
   * members hold exactly that many (held.ts). Unknown (a reshard changes the count), it waits a
   * session or lease and settleAfterTakeoverMs after the last fault instead.
   */
  openPartitions?: (options: ChaosOptions) => number
}

const whole = (): Slice => WHOLE
const asCreated = (options: ChaosOptions): number => options.partitions
const kafka = (inject: Spec['inject'], extraArgs: readonly string[] = [], expectDuplicates = false): Spec => ({ source: 'kafka', inject, extraArgs, expectDuplicates, preload: whole, openPartitions: asCreated })

const SPECS: Record<ScenarioName, Spec> = {
  'kafka-kills': kafka(kills),
  // Without insert deduplication tokens a block replayed after a kill lands twice: proof the harness
  // sees it. Its kills come within the first 30 % of the drain and it ends once duplicates show:
  // without dedup every replay writes again, so draining the rest only costs minutes and proves nothing more.
  'negative-control': kafka(killsWithin(0.03, 0.3), ['--no-dedup', '--dedup-horizon-ms', '0'], true),
  'broker-restarts': kafka(brokerRestarts),
  'clickhouse-outage': kafka(clickhouseOutage),
  zombie: kafka(zombie),
  'kinesis-kills': { source: 'kinesis', inject: kills, extraArgs: [], expectDuplicates: false, preload: whole, openPartitions: asCreated },
  'kinesis-zombie': { source: 'kinesis', inject: zombie, extraArgs: [], expectDuplicates: false, preload: whole, openPartitions: asCreated },
  'kinesis-reshard': {
    source: 'kinesis',
    inject: reshard,
    extraArgs: [],
    expectDuplicates: false,
    preload: (spec) => ({ from: 0, to: Math.floor((spec.events + spec.flows) / 2) }),
    afterDrain: childrenRead,
  },
}

/** Which stream a scenario runs on (the run's lanes: chaos/run.ts). */
export function sourceOf(name: ScenarioName): 'kafka' | 'kinesis' {
  return SPECS[name].source
}

interface Members {
  streams: StreamNames
  args: string[]
}

/** Kafka: the run's shared topics and a fresh group. Kinesis: fresh streams with the preloaded slice, and their own lease table. */
async function prepare(env: ChaosEnv, name: ScenarioName, tag: string, database: string, options: ChaosOptions, workload: WorkloadSpec): Promise<Members> {
  const spec = SPECS[name]
  const extra = [...spec.extraArgs, ...(options.batchRows === undefined ? [] : ['--batch-rows', String(options.batchRows), '--flush-interval-ms', '200'])]
  const sink = { clickhouseUrl: env.clickhouse.url, database, extra }
  if (spec.source === 'kafka') {
    const streams = await env.kafkaTopics(workload)
    const { broker } = await env.kafka()
    const topicPrefix = streams.client_event.replace(/-client-events$/, '')
    return { streams, args: kafkaArgs({ ...sink, brokers: broker.brokers, topicPrefix, groupId: `chaos-${name}-${tag}`, partitions: options.partitions, sessionTimeoutMs: options.sessionTimeoutMs }) }
  }
  const kinesis = await env.kinesis()
  const streamPrefix = `chaos-${name}-${tag.replace('_', '-')}`
  const streams = chaosStreams(streamPrefix)
  const transport = kinesis.transport(options.partitions)
  await transport.ensureStreams(Object.values(streams))
  const loadStart = performance.now()
  const slice = spec.preload(workload)
  await produceWorkload(transport, streams, workload, slice)
  env.log(`${name}: loaded records ${slice.from}–${Math.min(slice.to, workload.events + workload.flows)} of the workload onto ${streamPrefix}-* in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`)
  return { streams, args: kinesisArgs({ ...sink, kinesisEndpoint: kinesis.endpoint, dynamodbEndpoint: kinesis.dynamodbEndpoint, streams, streamPrefix, leaseDurationMs: options.leaseDurationMs }) }
}

/** Once every row counted has arrived, the rest (if any is missing) gets this long to come. */
const SETTLE_MS = 30_000

interface Drain {
  name: ScenarioName
  database: string
  options: ChaosOptions
  progress: Progress
  fleet: ProcessorFleet
  streams: StreamNames
  started: number
  notes: string[]
}

/** Every produced row visible, the pipeline settled after its last fault, every id counted once at least. */
async function untilDrained(env: ChaosEnv, drain: Drain): Promise<void> {
  const { name, database, options, progress, started, notes } = drain
  await progress.until(1)
  env.log(`${name}: ${progress.current()} rows visible after ${((performance.now() - started) / 1000).toFixed(0)} s; waiting for the unique counts`)
  await settleAfterFaults(drain)
  await waitFor(`every produced event and flow in ${database}`, SETTLE_MS, () => readCounts(env.clickhouse.client, database), (counts) => counts.events.unique >= options.events && counts.flows.unique >= options.flows, 500).catch((error: unknown) => {
    if (!(error instanceof ChaosTimeout)) throw error
    notes.push(describeError(error))
  })
}

/**
 * The negative control ends once the harness counts duplicates, while its kills are still coming:
 * the rest of the kills and of the drain prove nothing more. Without duplicates it fails
 * SETTLE_MS after its last kill. Resolves with the injector's own line once its restarts are back.
 */
async function untilDuplicates(env: ChaosEnv, name: ScenarioName, database: string, progress: Progress, started: number, injecting: Promise<string>, enough: AbortController): Promise<string> {
  let settledAt: number | undefined
  let failure: Error | undefined
  void injecting.then(
    () => (settledAt = Date.now()),
    (error: unknown) => (failure = error instanceof Error ? error : new Error(String(error))),
  )
  for (;;) {
    if (failure !== undefined) throw failure
    const counts = await readCounts(env.clickhouse.client, database).catch(() => undefined)
    if (counts !== undefined && duplicated(counts) > 0) break
    if (settledAt !== undefined && Date.now() - settledAt > SETTLE_MS) throw new ChaosTimeout(`no duplicates in ${database} ${SETTLE_MS / 1000} s after the last kill; last counts: ${JSON.stringify(counts)}`)
    await sleep(1000)
  }
  env.log(`${name}: duplicates seen at ${progress.current()} of ${progress.target} rows after ${((performance.now() - started) / 1000).toFixed(0)} s; stopping`)
  enough.abort()
  return injecting
}

/** Polls of every member in a row that must find each partition held once, 0.5 s apart. */
const STEADY_POLLS = 3

/**
 * The raw rows can all be in while a member killed at the end still holds partitions nobody has
 * taken over: its open windows and sessions would then never be written by the stop. So the stop
 * waits until every member is up and together they hold each open partition exactly once, restored
 * (held.ts), for STEADY_POLLS polls; where the count is unknown, until the last fault is a session
 * (or lease) and settleAfterTakeoverMs old. Past three times that it stops anyway, with a note.
 */
async function settleAfterFaults({ progress, options, fleet, streams, name, notes }: Drain): Promise<void> {
  const last = progress.lastFaultEndedAt()
  if (last === undefined) return
  const takeover = last + Math.max(options.sessionTimeoutMs, options.leaseDurationMs) + options.settleAfterTakeoverMs
  const expected = SPECS[name].openPartitions?.(options)
  if (expected === undefined) {
    if (takeover > Date.now()) await sleep(takeover - Date.now())
    return
  }
  // Restores of a 250,000-event partition took 30–75 s in default runs with both lanes busy.
  const deadline = takeover + 3 * options.settleAfterTakeoverMs
  let steady = 0
  while (steady < STEADY_POLLS) {
    if (Date.now() > deadline) {
      notes.push(`not every partition was held by a live member ${((Date.now() - last) / 1000).toFixed(0)} s after the last fault; stopped anyway`)
      return
    }
    const held = await fleet.held()
    steady = held !== undefined && Object.values(streams).every((stream) => held.get(stream) === expected) ? steady + 1 : 0
    await sleep(500)
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] ?? error.name : String(error)
}

export async function runScenario(env: ChaosEnv, name: ScenarioName, options: ChaosOptions): Promise<ScenarioResult> {
  const spec = SPECS[name]
  const started = performance.now()
  const tag = `${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`
  const database = `chaos_${name.replaceAll('-', '_')}_${tag}`
  const workload: WorkloadSpec = { events: options.events, flows: options.flows, seed: options.seed, startTime: env.startTime }
  const members = await prepare(env, name, tag, database, options, workload)
  const fleet = new ProcessorFleet({ runDir: env.runDir, args: members.args, metricsPorts: await freePorts(options.processors) })
  const target = options.events + options.flows
  const progress = new Progress(
    env.clickhouse.client,
    database,
    target,
    options.stallMs,
    () => {
      fleet.sampleRss()
      fleet.restartDead()
    },
    spec.expectDuplicates,
  )
  const notes: string[] = []
  const enough = new AbortController()
  const ctx: FaultContext = { env, options, fleet, progress, rng: seededRng(options.seed ^ hash(name)), injected: { count: 0 }, notes, streams: members.streams, spec: workload, enough: enough.signal }
  let faults = 'none'
  try {
    for (let index = 0; index < options.processors; index++) fleet.start(index)
    progress.start()
    if (spec.expectDuplicates) {
      faults = await untilDuplicates(env, name, database, progress, started, spec.inject(ctx), enough)
    } else {
      faults = await spec.inject(ctx)
      await untilDrained(env, { name, database, options, progress, fleet, streams: members.streams, started, notes })
    }
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
  const own = await spec.afterDrain?.(env.clickhouse.client, database).catch((error: unknown) => `could not check: ${describeError(error)}`)
  if (own !== undefined) notes.push(`FAILED: ${own}`)
  // Without dedup the replays land twice in the sums as well: the negative control is judged by its duplicates only.
  const oracle = spec.expectDuplicates ? 'not compared (no dedup)' : await judgeAggregates(env, database, workload, notes)
  for (const exit of fleet.unexpected) notes.push(`processor ${exit.slot} exited on its own (${exit.signal ?? `code ${String(exit.code)}`}), log ${exit.log}`)
  return judge({ name, faults, options, verdict, oracle, notes, spec, fleet, progress, seconds: (performance.now() - started) / 1000 })
}

/** The drained aggregates and sessions against the oracle; each differing table fails the scenario. */
async function judgeAggregates(env: ChaosEnv, database: string, workload: WorkloadSpec, notes: string[]): Promise<string> {
  try {
    const verdict = await checkAgainstOracle(env.clickhouse.client, database, env.expectation(workload))
    for (const table of verdict.tables) {
      if (table.differences.length > 0) notes.push(`FAILED: ${table.table} differs from the oracle (${table.expected} keys expected): ${table.differences.slice(0, 3).join('; ')}`)
    }
    return verdict.summary
  } catch (error) {
    notes.push(`FAILED: could not compare with the oracle: ${describeError(error)}`)
    return 'not compared'
  }
}

interface Judged {
  name: ScenarioName
  faults: string
  options: ChaosOptions
  verdict: Verdict | undefined
  oracle: string
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
  // The negative control stops once duplicates show, before the drain ends: its loss is not judged.
  const passed = !failed && (j.spec.expectDuplicates || lostCount === 0) && dupOk && dead === 0
  if (j.spec.expectDuplicates && !(dupCount > 0)) notes.push('the harness saw no duplicates without dedup tokens')
  return {
    name: j.name,
    faults: j.faults,
    events: options.events,
    flows: options.flows,
    lost: lostCount,
    lossJudged: !j.spec.expectDuplicates,
    duplicated: dupCount,
    deadLetters: dead,
    oracle: j.oracle,
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
