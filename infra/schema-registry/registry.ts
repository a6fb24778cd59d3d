// Starts the Apicurio Registry built by build.ts on a loopback port and waits until it is ready, for
// tests and local runs: its storage is an H2 database in a file under `dataDir`, so a registry stopped
// and started again on the same dir (an outage, for real) still knows every schema id it handed out.
// Clients talk to `url`, its Confluent-compatible API.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, open } from 'node:fs/promises'
import path from 'node:path'
import { stopChild } from '../child-process.ts'
import { freePort } from '../ports.ts'
import { delay, tailFile } from '../kafka/process.ts'
import { ensureSchemaRegistry, type RegistryBuildOptions } from './build.ts'

export interface SchemaRegistryOptions extends RegistryBuildOptions {
  /** Holds the registry's H2 database and its log. */
  dataDir: string
  /** Loopback port; a free one when unset or 0. */
  port?: number | undefined
  javaCommand?: string | undefined
  /** How long to wait for readiness; the first start after a build warms a cold JVM on a busy machine. */
  readyTimeoutMs?: number | undefined
}

export interface SchemaRegistry {
  /** Base URL of the Confluent-compatible API (`…/apis/ccompat/v7`), as Pulse and Confluent clients take it. */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  readonly logFile: string
  /** SIGTERM (SIGKILL after a grace period); the data dir stays for a later start. */
  stop(): Promise<void>
}

/**
 * JVM settings for a small test service on two shared cores: a bounded heap, the serial collector,
 * and only the first JIT tier, which starts Quarkus faster than the full compiler would.
 */
const JVM_FLAGS = ['-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']

export async function startSchemaRegistry(options: SchemaRegistryOptions): Promise<SchemaRegistry> {
  const runner = await ensureSchemaRegistry(options)
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port
  const dataDir = path.resolve(options.dataDir)
  await mkdir(dataDir, { recursive: true })
  const logFile = path.join(dataDir, 'registry.log')
  const log = await open(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(options.javaCommand ?? 'java', [...JVM_FLAGS, '-Dquarkus.http.host=127.0.0.1', '-jar', runner], {
      cwd: dataDir,
      stdio: ['ignore', log.fd, log.fd],
      // The app's application.properties reads these for its prod profile; a -D would lose to its %prod keys.
      env: { ...process.env, HTTP_PORT: String(port), REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${path.join(dataDir, 'registry')}` },
    })
  } finally {
    await log.close()
  }
  // A test process that dies without its teardown must not leave a registry holding the port.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit)
    await stopChild(child)
  }
  const base = `http://127.0.0.1:${port}`
  try {
    await waitUntilReady(base, child, logFile, options.readyTimeoutMs ?? 120_000)
  } catch (error) {
    await stop()
    throw error
  }
  return { url: `${base}/apis/ccompat/v7`, port, dataDir, logFile, stop }
}

/** Polls the registry's readiness check (storage up) until it answers 200, failing early if it exits. */
async function waitUntilReady(base: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Apicurio Registry exited (${String(child.exitCode ?? child.signalCode)}) before it was ready; ${logFile} ends:\n${await tailFile(logFile)}`)
    }
    const ready = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (response) => response.ok,
      () => false,
    )
    if (ready) return
    if (Date.now() > deadline) throw new Error(`Apicurio Registry on ${base} not ready after ${timeoutMs} ms; ${logFile} ends:\n${await tailFile(logFile)}`)
    await delay(100)
  }
}
