// Starts the Kinesis emulator for the embedded default and the tests: kinesis-mock (npm
// `kinesis-local`, the emulator LocalStack uses), run as a child Node process. It enforces the real
// API's shard and request rules, unlike kinesalite; it does not enforce throughput limits.
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mkdirSync } from 'node:fs'
import { freePort } from '../ports.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { ListStreamsCommand } from '@aws-sdk/client-kinesis'
import { createKinesisClient } from '../../processors/source/kinesis/client.ts'
import { stopChild } from '../child-process.ts'
import { keepLastGood, repairStateFile, type Repair } from './state-file.ts'

const CHILD = fileURLToPath(new URL('./emulator-child.mjs', import.meta.url))
/** How often the last whole state file is copied aside (the emulator rewrites it every second). */
const KEEP_COPY_MS = 5000

function keepCopy(dir: string): void {
  try {
    keepLastGood(dir)
  } catch {
    // The emulator may be rewriting the file right now: the next round copies it.
  }
}

export interface EmulatorOptions {
  /** Plain-HTTP port; 0 picks a free one. */
  port: number
  /** Keep the streams' data here across restarts (the emulator writes it every second). */
  persistDir?: string | undefined
  startTimeoutMs?: number
}

export interface KinesisEmulator {
  endpoint: string
  port: number
  /** What was done at start to a state file a hard kill had damaged. */
  repair: Repair
  /** Calls `listener` if the emulator exits while nobody asked it to stop (crashed or killed). */
  onUnexpectedExit(listener: (error: Error) => void): void
  stop(): Promise<void>
}

export async function startKinesisEmulator(options: EmulatorOptions): Promise<KinesisEmulator> {
  const port = options.port === 0 ? await freePort() : options.port
  const tlsPort = await freePort()
  const main = createRequire(import.meta.url).resolve('kinesis-local/main.js')
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(port),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
    LOG_LEVEL: 'ERROR',
    CREATE_STREAM_DURATION: '50ms',
    SHARD_LIMIT: '200',
  }
  const persistDir = options.persistDir === undefined ? undefined : resolve(options.persistDir)
  let repair: Repair = 'none'
  if (persistDir !== undefined) {
    mkdirSync(persistDir, { recursive: true })
    repair = repairStateFile(persistDir)
    Object.assign(env, { SHOULD_PERSIST_DATA: 'true', LOAD_DATA_IF_EXISTS: 'true', PERSIST_PATH: persistDir, PERSIST_INTERVAL: '1s' })
  }
  // stdin stays a pipe to this process: the child exits when it closes (emulator-child.mjs).
  const child = spawn(process.execPath, [CHILD, main], { env, stdio: ['pipe', 'ignore', 'pipe'] })
  const stderr = collectTail(child)
  const endpoint = `http://127.0.0.1:${port}`
  await waitUntilServing(endpoint, child, stderr, options.startTimeoutMs ?? 30_000)
  let stopping = false
  const keeper = persistDir === undefined ? undefined : setInterval(() => keepCopy(persistDir), KEEP_COPY_MS)
  keeper?.unref()
  child.once('exit', () => clearInterval(keeper))
  return {
    endpoint,
    port,
    repair,
    onUnexpectedExit: (listener) => {
      child.once('exit', (code, signal) => {
        if (!stopping) listener(new Error(`Kinesis emulator exited unexpectedly (${signal ?? `code ${String(code)}`}); its streams' data stays in the data directory for the next run`))
      })
    },
    stop: () => {
      stopping = true
      return stopChild(child)
    },
  }
}

async function waitUntilServing(endpoint: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const client = createKinesisClient({ endpoint, region: 'us-east-1' })
  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Kinesis emulator exited with code ${child.exitCode}: ${stderr()}`)
      try {
        await client.send(new ListStreamsCommand({}))
        return
      } catch {
        if (Date.now() > deadline) throw new Error(`Kinesis emulator not answering at ${endpoint} after ${timeoutMs} ms: ${stderr()}`)
        await sleep(100)
      }
    }
  } finally {
    client.destroy()
  }
}

function collectTail(child: ChildProcess): () => string {
  let tail = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000)
  })
  return () => tail
}


