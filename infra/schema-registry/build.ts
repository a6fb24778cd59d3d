// Builds Apicurio Registry, a real schema registry with Confluent's REST API, from Maven Central, once
// per version of the build files, into `<cache>/schema-registry/<key>/app`: Maven Central serves the
// app module but no runnable form, so build/pom.xml runs Quarkus's build on it (the pom says what it
// leaves out and why). Then one run of the registry writes a class-data-sharing archive: measured here
// on a loaded machine (load average 18 on 2 cores), start-to-ready fell from 15-17 s to about 3 s.
// First run on a machine: 1-2 minutes and 230 MB of downloads; later runs only check.
import { createHash, randomBytes } from 'node:crypto'
import { copyFile, cp, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { archiveIsSound } from '../kafka/cds.ts'
import { cacheRoot } from '../kafka/paths.ts'
import { fileExists, lastLines, runCommand } from '../kafka/process.ts'
import { freePort } from '../ports.ts'
import { JVM_FLAGS, archiveFor, spawnRegistry } from './jvm.ts'

/** The Apicurio Registry release build/pom.xml builds (kept in step with its `registry.version`). */
export const REGISTRY_VERSION = '2.4.2.Final'

const BUILD_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build')
const BUILD_FILES = ['pom.xml', 'settings.xml', 'src/main/java/dev/pulse/registry/NoDynamicProperties.java']
/** Quarkus names the runner after the pom's artifactId and version. */
const RUNNER_JAR = 'pulse-schema-registry-1-runner.jar'

export interface RegistryBuildOptions {
  /** Cache root (default `<repo>/.cache`, or env PULSE_CACHE_DIR). */
  cacheDir?: string | undefined
  mavenCommand?: string | undefined
  javaCommand?: string | undefined
  /** Progress lines for a human; silent by default so tests stay quiet. */
  log?: ((line: string) => void) | undefined
}

export interface BuiltRegistry {
  /** `java -jar` this; its `lib/` lies beside it. */
  readonly runner: string
  /** The class-data archive for this JDK, when one could be written. */
  readonly archive: string | undefined
}

/**
 * Builds the registry if the cache lacks it, and its class-data archive if this JDK has none. Maven
 * works in a private copy of the build folder whose output is renamed into place at the end, so an
 * interrupted build never leaves a folder that looks finished, and two processes building at once both
 * end up with one whole copy; the archive is published the same way, only after it maps cleanly.
 */
export async function ensureSchemaRegistry(options: RegistryBuildOptions = {}): Promise<BuiltRegistry> {
  const dir = path.join(options.cacheDir ?? cacheRoot(), 'schema-registry', `${REGISTRY_VERSION}-${await buildKey()}`)
  const app = path.join(dir, 'app')
  const log = options.log ?? noLog
  if (!(await isComplete(app))) await build(dir, app, options.mavenCommand ?? 'mvn', log)
  const runner = path.join(app, RUNNER_JAR)
  const java = options.javaCommand ?? 'java'
  const archive = await archiveFor(app, java)
  if (archive === undefined || (await fileExists(archive))) return { runner, archive }
  await writeArchive(dir, runner, archive, java, log)
  return { runner, archive: (await fileExists(archive)) ? archive : undefined }
}

async function build(dir: string, app: string, maven: string, log: (line: string) => void): Promise<void> {
  log(`Building Apicurio Registry ${REGISTRY_VERSION} from Maven Central into ${app} (first run only)...`)
  const started = Date.now()
  const work = path.join(dir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(work, { recursive: true })
    await cp(BUILD_DIR, work, { recursive: true })
    await runMaven(work, maven)
    const built = path.join(work, 'app')
    await mkdir(built)
    await rename(path.join(work, 'target', RUNNER_JAR), path.join(built, RUNNER_JAR))
    await rename(path.join(work, 'target', 'lib'), path.join(built, 'lib'))
    await publish(built, app)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  log(`Built in ${seconds(started)} s.`)
}

/**
 * Runs the registry once with -XX:ArchiveClassesAtExit, through a register and a look-up so the
 * classes of the Confluent-compatible API are in the archive too. A registry that will not start is
 * an error; an archive that does not map cleanly is only dropped (the registry starts without it).
 */
async function writeArchive(dir: string, runner: string, archive: string, java: string, log: (line: string) => void): Promise<void> {
  log('Writing the registry JVM class-data archive (once per JDK)...')
  const started = Date.now()
  const work = path.join(dir, `.cds-${process.pid}-${randomBytes(4).toString('hex')}`)
  const pending = path.join(work, 'registry.jsa')
  try {
    const registry = await spawnRegistry({ runner, port: await freePort(), dataDir: work, javaCommand: java, archive: pending, writeArchive: true, readyTimeoutMs: 300_000 })
    try {
      await exercise(`${registry.base}/apis/ccompat/v7`)
    } finally {
      // The JVM writes the archive (~55 MB) as it exits: a SIGKILL mid-write would only waste it.
      await registry.stop(60_000)
    }
    if (!(await fileExists(pending)) || !(await archiveIsSound(pending, java, [...JVM_FLAGS, '-cp', runner]))) {
      log('The class-data archive did not map cleanly; the registry will start without it.')
      return
    }
    // Copied next to its final name first: the work dir could be on another filesystem one day.
    const staging = `${archive}.${process.pid}.tmp`
    await copyFile(pending, staging)
    await rename(staging, archive)
    log(`Written in ${seconds(started)} s.`)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

async function exercise(url: string): Promise<void> {
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' }
  const registered = await fetch(`${url}/subjects/warm-up-value/versions`, { method: 'POST', headers, body: JSON.stringify({ schema: '"string"' }) })
  const { id } = (await registered.json()) as { id: number }
  await (await fetch(`${url}/schemas/ids/${id}`)).text()
  await (await fetch(`${url}/subjects`)).text()
}

/** A hash of the build files, so editing the pom or the Java source builds anew instead of reusing. */
async function buildKey(): Promise<string> {
  const hash = createHash('sha256')
  for (const file of BUILD_FILES) hash.update(file).update(await readFile(path.join(BUILD_DIR, file)))
  return hash.digest('hex').slice(0, 12)
}

/** The runner and Quarkus's core in lib/ are what a partial or hand-pruned folder would most likely lack. */
async function isComplete(app: string): Promise<boolean> {
  if (!(await fileExists(path.join(app, RUNNER_JAR)))) return false
  const libs = await readdir(path.join(app, 'lib')).catch(() => [] as string[])
  return libs.some((name) => name.startsWith('io.quarkus.quarkus-core-'))
}

async function runMaven(work: string, maven: string): Promise<void> {
  const args = ['-B', '-q', '-s', path.join(work, 'settings.xml'), '-f', path.join(work, 'pom.xml'), 'package', '-DskipTests']
  const result = await runCommand(maven, args, work).catch((error: unknown) => {
    throw new Error(`Could not run Maven (${maven}) to build Apicurio Registry: ${String(error)}`)
  })
  if (result.code !== 0) {
    throw new Error(`Maven could not build Apicurio Registry ${REGISTRY_VERSION} (exit ${String(result.code ?? result.signal)}).\nCommand: ${maven} ${args.join(' ')}\n${lastLines(result.output, 30)}`)
  }
}

/** If another process won the race its copy is just as good; an incomplete folder is replaced. */
async function publish(from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
    if (await isComplete(to)) return
    await rm(to, { recursive: true, force: true })
    await rename(from, to)
  }
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1)
}

function noLog(): void {
  // Library callers (tests) get no chatter; the CLI passes a logger.
}
