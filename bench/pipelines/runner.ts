// Runs one contender in a child process and, for a paced run, produces while it consumes.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKafka } from '../../processors/source/kafka/client.ts'
import { KafkaTransport } from '../../producers/kafka/kafka-transport.ts'
import { createProducerMetrics } from '../../producers/metrics.ts'
import { createLogger } from '../../runtime/logger.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { PULSE_NODE_FLAGS } from '../../runtime/node-flags.ts'
import { READY_LINE, type ChildResult, type ChildTask, type ServerResult } from './types.ts'

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))
const SERVER_CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url))

export interface RunOptions {
  /** Directory for a V8 CPU profile of the child (`node --cpu-prof`); none when unset. */
  profileDir?: string | undefined
  /** Called once the child is consuming (paced runs): produce from here. */
  onReady?: () => Promise<void>
}

export async function tempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `pulse-bench-${name}-`))
}

export async function runChild(task: ChildTask, options: RunOptions = {}): Promise<ChildResult> {
  const profile = options.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.profileDir]
  // Pulse runs with its own V8 flags, as `pulse` starts it; the others with node's defaults.
  const flags = task.contender.startsWith('pulse') ? PULSE_NODE_FLAGS : []
  const child = spawn(process.execPath, [...flags, ...profile, '--import', 'tsx', CHILD, JSON.stringify(task)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  let producing: Promise<void> | undefined
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
    if (producing === undefined && options.onReady !== undefined && output.includes(`${READY_LINE}\n`)) {
      // A failed producer must not leave the child waiting for rows that never come.
      producing = options.onReady().catch((error: unknown) => {
        child.kill('SIGTERM')
        throw error
      })
    }
  })
  const [code] = (await once(child, 'exit')) as [number | null]
  await producing
  const line = output.trim().split('\n').pop() ?? ''
  if (code !== 0 || !line.startsWith('{')) throw new Error(`${task.contender} (${task.mode}) failed, exit ${String(code)}: ${output.slice(-2000)}`)
  return JSON.parse(line) as ChildResult
}

/** A kafkajs transport as Pulse's producer role builds it, logging only warnings. */
export function benchTransport(brokers: string, partitions: number): KafkaTransport {
  const logger = createLogger({ level: 'warn', pretty: false })
  const kafka = createKafka({ brokers: [brokers], clientId: `bench-producer-${process.pid}`, logger })
  return new KafkaTransport({ kafka, brokers: [brokers], partitions, metrics: createProducerMetrics(createRegistry()), logger })
}

export interface BenchServer {
  url: string
  /** Stops the server and returns what it used while serving. */
  stop(): Promise<ServerResult>
}

/** The ClickHouse "server" of the Pulse → server contender, in a process of its own (server-child.ts). */
export async function startServer(dataDir: string, passwords: { writer: string; analyst: string }): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_CHILD, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PULSE_CLICKHOUSE_WRITER_PASSWORD: passwords.writer, PULSE_CLICKHOUSE_ANALYST_PASSWORD: passwords.analyst },
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = once(child, 'exit') as Promise<[number | null]>
  const port = await new Promise<number>((resolve, reject) => {
    const check = (): void => {
      const match = new RegExp(`${READY_LINE} (\\d+)\n`).exec(output)
      if (match?.[1] !== undefined) resolve(Number(match[1]))
    }
    child.stdout.on('data', check)
    void exited.then(([code]) => reject(new Error(`the bench's ClickHouse server exited (${String(code)}) before serving: ${output.slice(-2000)}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM')
      const [code] = await exited
      const line = output.trim().split('\n').pop() ?? ''
      if (code !== 0 || !line.startsWith('{')) throw new Error(`the bench's ClickHouse server failed, exit ${String(code)}: ${output.slice(-2000)}`)
      return JSON.parse(line) as ServerResult
    },
  }
}
