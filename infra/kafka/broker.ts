// A real Apache Kafka 4.x broker for development and tests: KRaft combined mode (broker and controller
// in one JVM), jars from Maven Central, run on the machine's Java. There is no Docker engine here, and
// an in-process fake would not show what a real broker does (KIP-896 removed old protocol versions in
// 4.0, so the client library has to be proven against the real thing).
//
// The broker runs detached, with its pid in `<dataDir>/kafka.pid`, so `kafka:up` returns while it keeps
// running and `kafka:down` (or KafkaBroker.stop) can find it again from another process.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { archiveIsSound, archivePath, planClassDataSharing, promoteArchive, type CdsPlan } from './cds.ts'
import { CLUSTER_ID, renderLog4jConfig, renderServerProperties } from './config.ts'
import { ensureKafkaJars, type KafkaJarOptions } from './jars.ts'
import { scramFormatArgs, type SaslSslListener } from './sasl-ssl.ts'
import { KAFKA_VERSION, dataDirLayout, defaultDataDir, versionDir, type DataDirLayout } from './paths.ts'
import {
  delay,
  fileExists,
  isBrokerProcess,
  isPortFree,
  isProcessRunning,
  lastLines,
  readPidFile,
  removePidFile,
  runCommand,
  tailFile,
  writePidFile,
} from './process.ts'
import { guardRequestQueueTimer } from '../../processors/source/kafka/request-queue-fix.ts'

export { ensureKafkaJars, type KafkaJarOptions } from './jars.ts'
export { KAFKA_VERSION } from './paths.ts'
export type { SaslSslListener } from './sasl-ssl.ts'
export { isProcessRunning } from './process.ts'

export interface KafkaBrokerOptions extends KafkaJarOptions {
  /** Client listener port; default 9092. */
  port?: number | undefined
  /** KRaft controller listener port; default port + 1 (9093 for the default port). */
  controllerPort?: number | undefined
  /** Address both listeners bind to and the broker advertises; default 127.0.0.1 (never the network). */
  host?: string | undefined
  /** Storage, config, logs and pidfile; default `<cache>/kafka-data/<port>`. */
  dataDir?: string | undefined
  /** Partitions of a topic created without a count; default 4, like Pulse's `kafka.partitions`. */
  numPartitions?: number | undefined
  /** JVM heap; default -Xms256m -Xmx512m, plenty for a dev broker and kind to a 2-core, shared machine. */
  heapInitial?: string | undefined
  heapMax?: string | undefined
  /** Java executable; default `$JAVA_HOME/bin/java`, else `java` from PATH. */
  javaCommand?: string | undefined
  /** How long to wait for the broker to answer; default 60 s. */
  startTimeoutMs?: number | undefined
  /** How long SIGTERM gets before SIGKILL; default 30 s (a clean stop takes ~2 s). */
  stopTimeoutMs?: number | undefined
  /** AppCDS archive for faster starts; default on, env PULSE_KAFKA_CDS=0 turns it off. */
  classDataSharing?: boolean | undefined
  /** An extra SASL_SSL listener; its SCRAM users are created only when the data dir is first formatted. */
  saslSsl?: SaslSslListener | undefined
}

export interface StopResult {
  /** Whether a broker started from this data dir was running. */
  readonly wasRunning: boolean
  readonly pid?: number
  /** True when it ignored SIGTERM for stopTimeoutMs and had to be killed. */
  readonly forced: boolean
}

export interface KafkaBroker {
  /** Bootstrap list for clients, HOST:PORT (Pulse: PULSE_KAFKA_BROKERS or --brokers). */
  readonly brokers: string
  readonly host: string
  readonly port: number
  readonly controllerPort: number
  readonly pid: number
  readonly dataDir: string
  /** WARN-and-above broker log. */
  readonly serverLog: string
  /** True when a broker already running from this data dir was adopted instead of started. */
  readonly reused: boolean
  /** Milliseconds from spawning the JVM to the first answered request; 0 when reused. */
  readonly readyAfterMs: number
  stop(): Promise<StopResult>
}

export interface KafkaStatus {
  readonly running: boolean
  /** Running and answering Kafka requests. */
  readonly ready: boolean
  readonly pid?: number
  readonly brokers: string
  readonly dataDir: string
  readonly serverLog: string
}

interface Resolved {
  readonly jarOptions: KafkaJarOptions
  readonly version: string
  readonly host: string
  readonly port: number
  readonly controllerPort: number
  readonly brokers: string
  readonly numPartitions: number
  readonly layout: DataDirLayout
  readonly javaCommand: string
  readonly heapInitial: string
  readonly heapMax: string
  readonly startTimeoutMs: number
  readonly stopTimeoutMs: number
  readonly classDataSharing: boolean
  readonly saslSsl: SaslSslListener | undefined
  readonly log: (line: string) => void
}

const READY_POLL_MS = 100
const EXIT_POLL_MS = 50
const KILL_WAIT_MS = 10_000

class BrokerExited extends Error {}
class BrokerNotReady extends Error {}

/** A failed start; `exitedEarly` tells a JVM that died from one that hung. */
export class KafkaStartError extends Error {
  constructor(
    message: string,
    readonly exitedEarly: boolean,
  ) {
    super(message)
    this.name = 'KafkaStartError'
  }
}

function resolveOptions(options: KafkaBrokerOptions): Resolved {
  const host = options.host ?? '127.0.0.1'
  const port = options.port ?? 9092
  const controllerPort = options.controllerPort ?? port + 1
  if (controllerPort === port) throw new Error(`Kafka controllerPort must differ from port (${port})`)
  const javaHome = process.env['JAVA_HOME']
  return {
    jarOptions: options,
    version: options.version ?? KAFKA_VERSION,
    host,
    port,
    controllerPort,
    brokers: `${host}:${port}`,
    numPartitions: options.numPartitions ?? 4,
    layout: dataDirLayout(options.dataDir ?? defaultDataDir(port, options.cacheDir)),
    javaCommand: options.javaCommand ?? (javaHome ? path.join(javaHome, 'bin', 'java') : 'java'),
    heapInitial: options.heapInitial ?? '256m',
    heapMax: options.heapMax ?? '512m',
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
    classDataSharing: options.classDataSharing ?? process.env['PULSE_KAFKA_CDS'] !== '0',
    saslSsl: options.saslSsl,
    log: options.log ?? (() => undefined),
  }
}

/**
 * Starts a broker, or returns the one already running from the same data dir (so `kafka:up` twice is
 * harmless). Resolves once the broker answers a Metadata request listing itself, which in KRaft means
 * it has registered with the controller and been unfenced: topics can be created right away.
 */
export async function startKafka(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const r = resolveOptions(options)
  const existing = await runningPid(r)
  if (existing !== undefined) {
    await assertSameSettings(r, existing)
    r.log(`Kafka broker already running from ${r.layout.dataDir} (pid ${existing}).`)
    await waitUntilReady(r, () => isBrokerProcess(existing, r.layout.serverProperties)).catch(async (error: unknown) => {
      throw await startFailure(r, `the running broker (pid ${existing}) ${describeFailure(error)}; try kafka:down first`)
    })
    return brokerHandle(r, existing, true, 0)
  }
  await assertPortsFree(r)
  const libs = await ensureKafkaJars(r.jarOptions)
  await prepareDataDir(r, libs)
  return launch(r, libs)
}

/** Stops the broker recorded in the data dir's pidfile: SIGTERM, then SIGKILL after stopTimeoutMs. */
export async function stopKafka(options: KafkaBrokerOptions = {}): Promise<StopResult> {
  const r = resolveOptions(options)
  const pid = await runningPid(r)
  if (pid === undefined) {
    await removePidFile(r.layout.pidFile)
    // Stopped by someone else (Ctrl-C, a plain kill): its archive may still be whole; settling validates it.
    await settleArchive(r, false)
    return { wasRunning: false, forced: false }
  }
  r.log(`Stopping Kafka broker (pid ${pid})...`)
  const forced = await terminate(pid, r.stopTimeoutMs)
  await removePidFile(r.layout.pidFile)
  await settleArchive(r, forced)
  return { wasRunning: true, pid, forced }
}

export async function kafkaStatus(options: KafkaBrokerOptions = {}): Promise<KafkaStatus> {
  const r = resolveOptions(options)
  const pid = await runningPid(r)
  const common = { brokers: r.brokers, dataDir: r.layout.dataDir, serverLog: r.layout.serverLog }
  if (pid === undefined) return { running: false, ready: false, ...common }
  return { running: true, ready: await probeBroker(r.brokers), pid, ...common }
}

/** The pid from the pidfile if it is still our broker; a stale pidfile is simply ignored. */
async function runningPid(r: Resolved): Promise<number | undefined> {
  const pid = await readPidFile(r.layout.pidFile)
  if (pid === undefined) return undefined
  return (await isBrokerProcess(pid, r.layout.serverProperties)) ? pid : undefined
}

async function assertPortsFree(r: Resolved): Promise<void> {
  for (const [name, port] of [
    ['port', r.port],
    ['controller port', r.controllerPort],
  ] as const) {
    if (!(await isPortFree(r.host, port))) {
      throw new Error(
        `Cannot start Kafka: ${name} ${r.host}:${port} is already in use by a process that is not a broker ` +
          `started from ${r.layout.dataDir}. Stop it, or pick another port (--port / PULSE_KAFKA_PORT).`,
      )
    }
  }
}

function serverProperties(r: Resolved): string {
  return renderServerProperties({ host: r.host, port: r.port, controllerPort: r.controllerPort, numPartitions: r.numPartitions, logDirs: r.layout.logDirs, saslSsl: r.saslSsl })
}

/**
 * Adopting a broker that runs from this data dir with other settings (another port, say) would hand
 * the caller an address nobody listens on; say so at once instead of timing out.
 */
async function assertSameSettings(r: Resolved, pid: number): Promise<void> {
  const current = await readFile(r.layout.serverProperties, 'utf8').catch(() => '')
  if (current === serverProperties(r)) return
  throw new Error(
    `A Kafka broker (pid ${pid}) is already running from ${r.layout.dataDir} with other settings ` +
      `(see ${r.layout.serverProperties}). Stop it first (kafka:down with the same data dir), or use another data dir.`,
  )
}

/** Writes the config files and formats the KRaft storage the first time a data dir is used. */
async function prepareDataDir(r: Resolved, libs: string): Promise<void> {
  const { layout } = r
  await mkdir(layout.logsDir, { recursive: true })
  await writeFile(layout.log4jConfig, renderLog4jConfig(layout.serverLog))
  await writeFile(layout.serverProperties, serverProperties(r))
  if (await fileExists(layout.metaProperties)) return
  r.log(`Formatting KRaft storage in ${layout.logDirs}...`)
  const args = [...jvmArgs(r, libs), 'kafka.tools.StorageTool', 'format', '--cluster-id', CLUSTER_ID, '--config', layout.serverProperties, '--ignore-formatted', ...scramFormatArgs(r.saslSsl)]
  const result = await runCommand(r.javaCommand, args, layout.dataDir).catch((error: unknown) => {
    throw new Error(`Could not run ${r.javaCommand} (${describeFailure(error)}): Kafka ${r.version} needs Java 17+ on PATH or in JAVA_HOME`)
  })
  if (result.code !== 0) {
    throw new Error(`Formatting Kafka storage in ${layout.logDirs} failed (exit ${String(result.code ?? result.signal)}):\n${lastLines(result.output, 30)}`)
  }
}

function jvmArgs(r: Resolved, libs: string): string[] {
  return [
    `-Xms${r.heapInitial}`,
    `-Xmx${r.heapMax}`,
    // One GC thread instead of G1's pool: same start-up time measured, less contention on 2 cores.
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${r.layout.log4jConfig}`,
    '-cp',
    `${libs}${path.sep}*`,
  ]
}

/**
 * Spawns the JVM and waits for it. A damaged class-data archive aborts the JVM at start; if the broker
 * died early and its archive no longer maps, the archive is deleted and the start retried once without.
 * Any other early death (bad config, foreign data dir) is reported as is, and the archive kept.
 */
async function launch(r: Resolved, libs: string): Promise<KafkaBroker> {
  const archive = r.classDataSharing ? await archivePath(versionDir(r.version, r.jarOptions.cacheDir), r.javaCommand) : undefined
  const plan = await planClassDataSharing(archive, r.layout.pendingArchive)
  try {
    return await launchOnce(r, libs, plan)
  } catch (error) {
    const suspect = plan.usingArchive
    if (!(error instanceof KafkaStartError && error.exitedEarly) || suspect === undefined) throw error
    if (await archiveIsSound(suspect, r.javaCommand, jvmArgs(r, libs))) throw error
    r.log(`Class-data archive ${suspect} is damaged; deleting it and starting without it.`)
    await rm(suspect, { force: true })
    return launchOnce(r, libs, { flags: [] })
  }
}

async function launchOnce(r: Resolved, libs: string, plan: CdsPlan): Promise<KafkaBroker> {
  r.log(`Starting Kafka ${r.version} on ${r.brokers} (controller ${r.host}:${r.controllerPort}), data in ${r.layout.dataDir}...`)
  const spawnedAt = Date.now()
  const child = await spawnBroker(r, [...jvmArgs(r, libs), ...plan.flags])
  const pid = child.pid
  if (pid === undefined) throw new Error('unreachable: spawnBroker resolves only with a pid')
  await writePidFile(r.layout.pidFile, pid)
  let exit: string | undefined
  child.once('exit', (code, signal) => {
    exit = signal === null ? `exit code ${String(code)}` : `signal ${signal}`
  })
  try {
    await waitUntilReady(r, () => Promise.resolve(exit === undefined), () => exit)
  } catch (error) {
    await terminate(pid, 5_000).catch(() => undefined)
    await removePidFile(r.layout.pidFile)
    throw await startFailure(r, describeFailure(error), error instanceof BrokerExited)
  }
  const readyAfterMs = Date.now() - spawnedAt
  r.log(`Kafka broker ready on ${r.brokers} (pid ${pid}) after ${(readyAfterMs / 1000).toFixed(1)} s.`)
  return brokerHandle(r, pid, false, readyAfterMs)
}

/** Detached with stdio in a file: the broker outlives the `kafka:up` process and never blocks on a pipe. */
function spawnBroker(r: Resolved, jvm: readonly string[]): Promise<ChildProcess> {
  const out = openSync(r.layout.stdoutLog, 'a')
  try {
    const child = spawn(r.javaCommand, [...jvm, 'kafka.Kafka', r.layout.serverProperties], {
      cwd: r.layout.dataDir, // a JVM crash report (hs_err_pid*.log) lands next to the logs
      detached: true,
      stdio: ['ignore', out, out],
    })
    child.unref()
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        resolve(child)
      })
      child.once('error', (error) => {
        reject(new Error(`Could not run ${r.javaCommand} to start Kafka: ${error.message}`))
      })
    })
  } finally {
    closeSync(out)
  }
}

async function waitUntilReady(r: Resolved, isAlive: () => Promise<boolean>, exitReason: () => string | undefined = () => undefined): Promise<void> {
  const deadline = Date.now() + r.startTimeoutMs
  while (Date.now() < deadline) {
    if (!(await isAlive())) throw new BrokerExited(`exited before answering (${exitReason() ?? 'process gone'})`)
    if (await probeBroker(r.brokers)) return
    await delay(READY_POLL_MS)
  }
  throw new BrokerNotReady(`did not answer within ${(r.startTimeoutMs / 1000).toFixed(1)} s`)
}

/**
 * One Metadata round trip through kafkajs, the client Pulse uses: a broker that answers it with itself
 * in the list has finished KRaft registration, not just opened its socket.
 */
async function probeBroker(brokers: string): Promise<boolean> {
  // The same kafkajs fix Pulse's own clients get: without it every probe re-arms a negative timer
  // and Node prints a TimeoutNegativeWarning in every process that starts a broker.
  guardRequestQueueTimer()
  const kafka = new Kafka({
    clientId: 'pulse-kafka-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  })
  const admin = kafka.admin({ retry: { retries: 0 } })
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return cluster.brokers.length > 0
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** SIGTERM, wait, SIGKILL, wait. Returns whether SIGKILL was needed. */
async function terminate(pid: number, gracefulMs: number): Promise<boolean> {
  signal(pid, 'SIGTERM')
  if (await waitForExit(pid, gracefulMs)) return false
  signal(pid, 'SIGKILL')
  if (await waitForExit(pid, KILL_WAIT_MS)) return true
  throw new Error(`Kafka broker pid ${pid} survived SIGKILL for ${KILL_WAIT_MS / 1000} s`)
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!(await isProcessRunning(pid))) return true
    await delay(EXIT_POLL_MS)
  }
  return !(await isProcessRunning(pid))
}

/** After a clean stop the JVM may have written a class-data archive; keep it if it is sound. */
async function settleArchive(r: Resolved, forced: boolean): Promise<void> {
  const archive = r.classDataSharing ? await archivePath(versionDir(r.version, r.jarOptions.cacheDir), r.javaCommand) : undefined
  if (forced || archive === undefined) {
    await rm(r.layout.pendingArchive, { force: true })
    return
  }
  const libs = path.join(versionDir(r.version, r.jarOptions.cacheDir), 'libs')
  await promoteArchive({ pendingArchive: r.layout.pendingArchive, archive, javaCommand: r.javaCommand, jvmArgs: jvmArgs(r, libs) })
}

function brokerHandle(r: Resolved, pid: number, reused: boolean, readyAfterMs: number): KafkaBroker {
  return {
    brokers: r.brokers,
    host: r.host,
    port: r.port,
    controllerPort: r.controllerPort,
    pid,
    dataDir: r.layout.dataDir,
    serverLog: r.layout.serverLog,
    reused,
    readyAfterMs,
    stop: () => stopKafka({ ...r.jarOptions, ...pick(r) }),
  }
}

/** The resolved settings that identify this broker, so stop() targets it even if defaults change. */
function pick(r: Resolved): KafkaBrokerOptions {
  return {
    port: r.port,
    controllerPort: r.controllerPort,
    host: r.host,
    dataDir: r.layout.dataDir,
    javaCommand: r.javaCommand,
    stopTimeoutMs: r.stopTimeoutMs,
    classDataSharing: r.classDataSharing,
  }
}

function describeFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A start error a person can act on: what failed, and the ends of both logs. */
async function startFailure(r: Resolved, what: string, exitedEarly = false): Promise<KafkaStartError> {
  const serverLog = await tailFile(r.layout.serverLog)
  const stdout = await tailFile(r.layout.stdoutLog)
  const sections = [
    `Kafka broker on ${r.brokers} (data ${r.layout.dataDir}) ${what}.`,
    `--- last lines of ${r.layout.serverLog} ---\n${serverLog || '(empty)'}`,
    `--- last lines of ${r.layout.stdoutLog} ---\n${stdout || '(empty)'}`,
  ]
  return new KafkaStartError(sections.join('\n'), exitedEarly)
}
