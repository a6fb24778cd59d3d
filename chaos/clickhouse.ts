// Starts and stops the chaos run's ClickHouse server process (server-child.ts) on one port and data
// dir, and gives the harness a client to count rows with.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import { waitFor } from './deadline.ts'
import { logFile } from './logs.ts'

const SERVER_CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url))
const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 30_000

export interface ChaosClickHouse {
  readonly url: string
  readonly client: ClickHouseClient
  running(): boolean
  /** SIGTERM (SIGKILL after 30 s); resolves once the process is gone and the port is free. */
  stop(): Promise<void>
  /** A new server process on the same port and data dir; resolves once it answers. */
  start(): Promise<void>
}

export async function startClickHouse(dataDir: string, port: number, runDir: string): Promise<ChaosClickHouse> {
  const url = `http://127.0.0.1:${port}`
  // Short timeouts: during an outage the harness's polls must fail fast, not hang. Its failed polls
  // (the tables not yet made, the server away) are expected and counted as no progress, not logged.
  const client = createClient({ url, request_timeout: 10_000, max_open_connections: 4, log: { level: ClickHouseLogLevel.OFF } })
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const start = async (): Promise<void> => {
    const log = logFile(runDir, 'clickhouse')
    const spawned = spawn(process.execPath, ['--import', 'tsx', SERVER_CHILD, dataDir, String(port)], { stdio: ['ignore', log.fd, log.fd] })
    closeSync(log.fd)
    child = spawned
    exited = new Promise((resolve) => spawned.once('exit', () => resolve()))
    const state = { gone: false }
    void exited.then(() => (state.gone = true))
    await waitFor(`the ClickHouse server on ${url} (log ${log.path})`, START_TIMEOUT_MS, () => Promise.resolve(state.gone || readFileSync(log.path, 'utf8').includes('READY ')), (ready) => ready, 100)
    if (state.gone) throw new Error(`the ClickHouse server exited at start: ${readFileSync(log.path, 'utf8').slice(-2000)}`)
  }

  const stop = async (): Promise<void> => {
    const current = child
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return
    current.kill('SIGTERM')
    const timer = setTimeout(() => current.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  await start()
  return { url, client, running: () => child !== undefined && child.exitCode === null && child.signalCode === null, stop, start }
}
