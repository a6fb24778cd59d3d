// Runs the built registry's JVM: the command line, the readiness wait, and the class-data-sharing
// archive that makes it start fast. Shared by build.ts (which runs it once to write the archive) and
// registry.ts (which runs it for tests and local use).
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, open, stat } from 'node:fs/promises'
import path from 'node:path'
import { stopChild } from '../child-process.ts'
import { delay, resolveExecutable, tailFile } from '../kafka/process.ts'

/**
 * A small test service on two shared cores: a bounded heap, the serial collector, and only the first
 * JIT tier, which starts Quarkus sooner than the full compiler does.
 */
export const JVM_FLAGS: readonly string[] = ['-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']

/** Dynamic CDS archives log a few harmless "Skipping class" warnings; keep only real errors. */
const QUIET_CDS = '-Xlog:cds*=error'

export interface RegistryProcess {
  readonly base: string
  readonly logFile: string
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s). */
  stop(graceMs?: number): Promise<void>
}

export interface SpawnOptions {
  runner: string
  port: number
  dataDir: string
  javaCommand: string
  /** Use this class-data archive, or (with `writeArchive`) write one as the JVM exits. */
  archive?: string | undefined
  writeArchive?: boolean
  readyTimeoutMs: number
}

/** Starts the registry and resolves once its readiness check (storage up) answers 200. */
export async function spawnRegistry(options: SpawnOptions): Promise<RegistryProcess> {
  await mkdir(options.dataDir, { recursive: true })
  const logFile = path.join(options.dataDir, 'registry.log')
  const cds = options.archive === undefined ? [] : [options.writeArchive === true ? `-XX:ArchiveClassesAtExit=${options.archive}` : `-XX:SharedArchiveFile=${options.archive}`, QUIET_CDS]
  const log = await open(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(options.javaCommand, [...JVM_FLAGS, ...cds, '-Dquarkus.http.host=127.0.0.1', '-jar', options.runner], {
      cwd: options.dataDir,
      stdio: ['ignore', log.fd, log.fd],
      // The app's application.properties reads these in its prod profile; a -D would lose to its %prod keys.
      env: { ...process.env, HTTP_PORT: String(options.port), REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${path.join(options.dataDir, 'registry')}` },
    })
  } finally {
    await log.close()
  }
  // A test process that dies without its teardown must not leave a registry holding the port.
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  const stop = async (graceMs?: number): Promise<void> => {
    process.off('exit', killOnExit)
    await stopChild(child, graceMs)
  }
  const base = `http://127.0.0.1:${options.port}`
  try {
    await waitUntilReady(base, child, logFile, options.readyTimeoutMs)
  } catch (error) {
    await stop()
    throw error
  }
  return { base, logFile, stop }
}

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

/**
 * Where the class-data archive for this JDK lives beside the app. An archive only serves the exact JDK
 * build that wrote it, so its name is keyed by the java binary: a JDK upgrade writes a fresh one.
 */
export async function archiveFor(appDir: string, javaCommand: string): Promise<string | undefined> {
  const java = await resolveExecutable(javaCommand)
  if (java === undefined) return undefined
  const info = await stat(java)
  return path.join(appDir, `registry-${createHash('sha256').update(`${java}:${info.size}:${info.mtimeMs}`).digest('hex').slice(0, 12)}.jsa`)
}
