// Builds Apicurio Registry, a real schema registry with Confluent's REST API, from Maven Central, once
// per version of the build files, into `<cache>/schema-registry/<key>/app`: Maven Central serves the
// app module but no runnable form, so build/pom.xml runs Quarkus's build on it (the pom says what it
// leaves out and why). About a minute and 235 MB of downloads on a machine's first run, then a check.
import { createHash, randomBytes } from 'node:crypto'
import { cp, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheRoot } from '../kafka/paths.ts'
import { fileExists, lastLines, runCommand } from '../kafka/process.ts'

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
  /** Progress lines for a human; silent by default so tests stay quiet. */
  log?: ((line: string) => void) | undefined
}

/**
 * Returns the runner jar of the built registry (`java -jar <it>`; its `lib/` lies beside it). The
 * first call runs Maven; later calls only check the folder. Maven works in a private copy of the build
 * folder whose output is renamed into place at the end, so an interrupted build never leaves a folder
 * that looks finished, and two processes building at once both end up with one whole copy.
 */
export async function ensureSchemaRegistry(options: RegistryBuildOptions = {}): Promise<string> {
  const dir = path.join(options.cacheDir ?? cacheRoot(), 'schema-registry', `${REGISTRY_VERSION}-${await buildKey()}`)
  const app = path.join(dir, 'app')
  if (await isComplete(app)) return path.join(app, RUNNER_JAR)

  const log = options.log ?? noLog
  log(`Building Apicurio Registry ${REGISTRY_VERSION} from Maven Central into ${app} (first run only)...`)
  const started = Date.now()
  const work = path.join(dir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(work, { recursive: true })
    await cp(BUILD_DIR, work, { recursive: true })
    await runMaven(work, options.mavenCommand ?? 'mvn')
    const built = path.join(work, 'app')
    await mkdir(built)
    await rename(path.join(work, 'target', RUNNER_JAR), path.join(built, RUNNER_JAR))
    await rename(path.join(work, 'target', 'lib'), path.join(built, 'lib'))
    await publish(built, app)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  log(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  return path.join(app, RUNNER_JAR)
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

function noLog(): void {
  // Library callers (tests) get no chatter; the CLI passes a logger.
}
