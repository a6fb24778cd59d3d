// `npm run bench`: Pulse against the naive baseline, ClickHouse's own Kafka engine and the ceiling, in
// one run on this machine (BENCHMARKS.md, "Pipelines"). Starts a real Kafka broker on free ports with a
// temporary data dir, loads a seeded workload, then runs each contender in its own child process
// (libchdb binds one data directory per process), then a paced run at half Pulse's drain rate.
//
//   npm run bench                                    default workload (see DEFAULTS)
//   npm run bench -- --events 200000 --flows 40000 --paced-seconds 10 --no-write
//   npm run bench -- --only pulse --profile /tmp/prof   CPU profile of the Pulse child
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { startKafka } from '../infra/kafka/broker.ts'
import { freePorts } from '../infra/ports.ts'
import { machine, writeSection } from '../infra/report-section.ts'
import { decodeLine, pacedLine, rowsLine, serverLine, table, threadsLine } from './pipelines/report.ts'
import { benchTransport, runChild, startServer, tempDir } from './pipelines/runner.ts'
import { randomBytes } from 'node:crypto'
import { producePaced } from './pipelines/paced.ts'
import { allTopics, produceWorkload } from './pipelines/workload.ts'
import type { ChildResult, ChildTask, ContenderName, Topics } from './pipelines/types.ts'

const DEFAULTS = { events: 1_000_000, flows: 200_000, pacedSeconds: 20, seed: 7 }
const PARTITIONS = 4
const DRAIN_ORDER: readonly ContenderName[] = ['ceiling', 'pulse', 'pulse-raw', 'pulse-server', 'baseline', 'kafka-engine']
const PACED: readonly ContenderName[] = ['pulse', 'baseline', 'kafka-engine']

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string' },
    flows: { type: 'string' },
    'paced-seconds': { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'string' },
    'no-write': { type: 'boolean' },
  },
})
const events = Number(flags.events ?? DEFAULTS.events)
const flows = Number(flags.flows ?? DEFAULTS.flows)
const pacedSeconds = Number(flags['paced-seconds'] ?? DEFAULTS.pacedSeconds)
const only = flags.only?.split(',') as ContenderName[] | undefined
const log = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`)

function topicsFor(prefix: string): Topics {
  return { prefix, jsonClientEvents: `${prefix}-json-client-events`, jsonFlows: `${prefix}-json-network-flows` }
}

/** Pulse writing over HTTP to the engine in another process; the server's CPU and RSS are its own. */
async function drainToServer(task: ChildTask): Promise<ChildResult> {
  const passwords = { writer: randomBytes(12).toString('hex'), analyst: randomBytes(12).toString('hex') }
  // Inside the contender's directory, so it is removed with it; Pulse itself opens no engine there.
  const server = await startServer(join(task.dataDir, 'server'), passwords)
  try {
    const result = await runChild({ ...task, clickhouse: { url: server.url, username: 'pulse_writer', password: passwords.writer, analystPassword: passwords.analyst } })
    return { ...result, server: await server.stop() }
  } catch (error) {
    await server.stop().catch(() => undefined)
    throw error
  }
}

async function main(): Promise<void> {
  const started = performance.now()
  const about = machine()
  const brokerDir = await tempDir('kafka')
  const [port, controllerPort] = await freePorts(2)
  const broker = await startKafka({ port, controllerPort, dataDir: brokerDir, log })
  const dirs: string[] = [brokerDir]
  try {
    const topics = topicsFor('bench')
    const producer = benchTransport(broker.brokers, PARTITIONS)
    const jsonProducer = benchTransport(broker.brokers, PARTITIONS)
    await producer.ensureStreams(allTopics(topics))
    const loadStart = performance.now()
    await produceWorkload(producer, jsonProducer, topics, events, flows, DEFAULTS.seed)
    log(`workload loaded in ${((performance.now() - loadStart) / 1000).toFixed(1)} s: ${events} client events, ${flows} flows (+ their IP assignments), Avro and JSON`)
    await jsonProducer.close()

    const drains: ChildResult[] = []
    for (const contender of DRAIN_ORDER.filter((name) => only?.includes(name) ?? true)) {
      const dataDir = await tempDir(contender)
      dirs.push(dataDir)
      const task: ChildTask = { contender, mode: 'drain', brokers: broker.brokers, topics, events, flows, dataDir, seed: DEFAULTS.seed }
      const result = contender === 'pulse-server' ? await drainToServer(task) : await runChild(task, { profileDir: contender === 'pulse' ? flags.profile : undefined })
      log(`${contender}: ${Math.round(result.rows / result.seconds)} events/s, ${result.cpuSeconds.toFixed(1)} CPU s, peak RSS ${Math.round(result.peakRssBytes / 2 ** 20)} MiB`)
      drains.push(result)
    }

    const pulse = drains.find((result) => result.contender === 'pulse')
    const rate = pulse === undefined ? 0 : pulse.rows / pulse.seconds / 2
    const paced: ChildResult[] = []
    for (const contender of pacedSeconds > 0 && rate > 0 ? PACED.filter((name) => only?.includes(name) ?? true) : []) {
      const pacedTopics = topicsFor(`paced-${contender}`)
      await producer.ensureStreams(allTopics(pacedTopics))
      const dataDir = await tempDir(`${contender}-paced`)
      dirs.push(dataDir)
      const count = Math.round(rate * pacedSeconds)
      const task: ChildTask = { contender, mode: 'paced', brokers: broker.brokers, topics: pacedTopics, events: count, flows: 0, dataDir, seed: DEFAULTS.seed + 1 }
      const json = contender === 'kafka-engine'
      const topic = json ? pacedTopics.jsonClientEvents : `${pacedTopics.prefix}-client-events`
      const result = await runChild(task, { onReady: () => producePaced({ transport: producer, topic, format: json ? 'json' : 'avro', rate, count, seed: task.seed }) })
      log(`${contender} paced: p50 ${result.freshness?.p50 ?? '?'} ms, p99 ${result.freshness?.p99 ?? '?'} ms`)
      paced.push(result)
    }
    await producer.close()

    const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
    const minutes = ((performance.now() - started) / 60_000).toFixed(1)
    const body = [
      `Command: \`${command}\` (whole run ${minutes} min). Machine: ${about}.`,
      `Workload: ${events.toLocaleString('en-US')} client events and ${flows.toLocaleString('en-US')} flows, seed ${DEFAULTS.seed}, ${PARTITIONS} partitions per topic.`,
      '',
      table(drains, paced),
      '',
      serverLine(drains),
      decodeLine(drains),
      rowsLine(drains),
      threadsLine(drains),
      pacedLine(paced, rate),
    ].join('\n')
    process.stdout.write(`\n${body}\n`)
    if (flags['no-write'] !== true) await writeSection(new URL('../BENCHMARKS.md', import.meta.url).pathname, 'bench:pipelines', body)
  } finally {
    await broker.stop()
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  }
}

await main()
