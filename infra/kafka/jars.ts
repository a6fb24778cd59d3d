// Fetches the Kafka broker's jars from Maven Central with Maven, once per version. The broker has no
// single fat jar: kafka_2.13 depends on kafka-server, kafka-metadata, kafka-raft, kafka-storage, the
// coordinators and their libraries, so a throwaway pom lets Maven's resolver work out the closure.
// The command-line tools (kafka-tools: the console producer and consumer) are a second classpath,
// fetched the same way only when asked for (tests use the console producer as a foreign client).
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { KAFKA_TOOLS_VERSION, KAFKA_VERSION, LOG4J_VERSION, SCALA_BINARY_VERSION, cacheRoot, versionDir } from './paths.ts'
import { lastLines, runCommand } from './process.ts'

export interface KafkaJarOptions {
  /** Kafka release to fetch; defaults to the pinned KAFKA_VERSION. */
  version?: string | undefined
  /** Cache root (default `<repo>/.cache`, or env PULSE_CACHE_DIR); jars go to `<root>/kafka/<version>/libs`. */
  cacheDir?: string | undefined
  /** Maven executable; default `mvn` from PATH. */
  mavenCommand?: string | undefined
  /** Progress lines for a human; silent by default so tests stay quiet. */
  log?: ((line: string) => void) | undefined
}

/** Pinned because Maven 3.8's implicit default for `dependency:` is the 2013-era 2.8. */
const DEPENDENCY_PLUGIN_VERSION = '3.8.1'

/** A classpath fetched by Maven into `<dir>/libs`, complete when `isComplete` says so. */
export interface Classpath {
  what: string
  dir: string
  dependencies: readonly Dependency[]
  isComplete(names: readonly string[]): boolean
}

export interface Dependency {
  groupId: string
  artifactId: string
  version: string
}

/**
 * Returns the folder holding every jar the broker needs (`java -cp '<dir>/*'`). The first call runs
 * Maven; later calls only check the folder. Maven writes into a private temp folder that is renamed into
 * place at the end, so an interrupted fetch never leaves a half-filled `libs/` that looks complete, and
 * two processes fetching at once both end up with one whole copy.
 */
export async function ensureKafkaJars(options: KafkaJarOptions = {}): Promise<string> {
  const version = options.version ?? KAFKA_VERSION
  return ensureClasspath(
    {
      what: `Apache Kafka ${version}`,
      dir: versionDir(version, options.cacheDir),
      dependencies: [
        { groupId: 'org.apache.kafka', artifactId: `kafka_${SCALA_BINARY_VERSION}`, version },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: LOG4J_VERSION },
      ],
      isComplete: (names) => hasBrokerJars(names, version),
    },
    options,
  )
}

/**
 * The folder holding Kafka's command-line tools and their dependencies, e.g. for
 * `java -cp '<dir>/*' org.apache.kafka.tools.ConsoleProducer`. Pinned to KAFKA_TOOLS_VERSION, a
 * client of the broker (see paths.ts), fetched on first use.
 */
export async function ensureKafkaToolsJars(options: Omit<KafkaJarOptions, 'version'> = {}): Promise<string> {
  const version = KAFKA_TOOLS_VERSION
  return ensureClasspath(
    {
      what: `the Apache Kafka ${version} command-line tools`,
      dir: path.join(options.cacheDir ?? cacheRoot(), 'kafka', `tools-${version}`),
      dependencies: [{ groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version }],
      isComplete: (names) => names.includes(`kafka-tools-${version}.jar`) && names.includes(`kafka-clients-${version}.jar`),
    },
    options,
  )
}

/** Also used by infra/jdbc for the ClickHouse JDBC driver: the same atomic, fetch-once folder. */
export async function ensureClasspath(classpath: Classpath, options: Omit<KafkaJarOptions, 'version'>): Promise<string> {
  const libs = path.join(classpath.dir, 'libs')
  if (await isComplete(classpath, libs)) return libs

  const log = options.log ?? noLog
  log(`Fetching ${classpath.what} jars from Maven Central into ${libs} (first run only)...`)
  const started = Date.now()
  const work = path.join(classpath.dir, `.fetch-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(work, { recursive: true })
    await copyDependencies(work, classpath, options.mavenCommand ?? 'mvn')
    if (!(await isComplete(classpath, path.join(work, 'libs')))) {
      throw new Error(`Maven finished but ${path.join(work, 'libs')} lacks the jars of ${classpath.what}`)
    }
    await publish(path.join(work, 'libs'), libs, classpath)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  const jarCount = (await readdir(libs)).length
  log(`Fetched ${jarCount} jars in ${((Date.now() - started) / 1000).toFixed(1)} s.`)
  return libs
}

async function isComplete(classpath: Classpath, libs: string): Promise<boolean> {
  return classpath.isComplete(await readdir(libs).catch(() => [] as string[]))
}

function noLog(): void {
  // Library callers (tests) get no chatter; the CLI passes a logger.
}

/** The broker jar and the logging binding are the two a partial or foreign folder would most likely lack. */
function hasBrokerJars(names: readonly string[], version: string): boolean {
  return (
    names.includes(`kafka_${SCALA_BINARY_VERSION}-${version}.jar`) &&
    names.includes(`kafka-server-${version}.jar`) &&
    names.some((name) => name.startsWith('log4j-slf4j-impl-'))
  )
}

async function copyDependencies(work: string, classpath: Classpath, maven: string): Promise<void> {
  await writeFile(path.join(work, 'pom.xml'), renderPom(classpath.dependencies))
  const args = [
    '-B', // batch mode: no colours, no download progress, never waits for input
    '-q',
    '-f',
    path.join(work, 'pom.xml'),
    `org.apache.maven.plugins:maven-dependency-plugin:${DEPENDENCY_PLUGIN_VERSION}:copy-dependencies`,
    `-DoutputDirectory=${path.join(work, 'libs')}`,
    '-DincludeScope=runtime',
  ]
  const result = await runCommand(maven, args, work).catch((error: unknown) => {
    throw new Error(`Could not run Maven (${maven}) to fetch ${classpath.what}: ${String(error)}`)
  })
  if (result.code !== 0) {
    throw new Error(
      `Maven could not fetch ${classpath.what} (exit ${String(result.code ?? result.signal)}).\n` +
        `Command: ${maven} ${args.join(' ')}\n${lastLines(result.output, 30)}`,
    )
  }
}

function renderPom(dependencies: readonly Dependency[]): string {
  const entries = dependencies.map(
    (dependency) => `    <dependency>
      <groupId>${dependency.groupId}</groupId>
      <artifactId>${dependency.artifactId}</artifactId>
      <version>${dependency.version}</version>
    </dependency>`,
  )
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by infra/kafka/jars.ts to resolve a runtime classpath (Kafka, the JDBC driver); not a build. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.pulse.infra</groupId>
  <artifactId>kafka-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${entries.join('\n')}
  </dependencies>
</project>
`
}

/**
 * Moves the finished folder into place. If another process won the race its copy is just as good; a
 * folder that is there but incomplete (someone deleted jars by hand) is replaced.
 */
async function publish(from: string, to: string, classpath: Classpath): Promise<void> {
  try {
    await rename(from, to)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
    if (await isComplete(classpath, to)) return
    await rm(to, { recursive: true, force: true })
    await rename(from, to)
  }
}
