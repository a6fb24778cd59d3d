// Where the Kafka tooling keeps jars, data and logs, and which release it runs. Everything lives under
// one cache root (default `<repo>/.cache`, already git-ignored) so `rm -rf .cache` resets it all.
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Newest Apache Kafka 4.x release on Maven Central when this was written. Pinned so every machine and
 * CI run the same broker; bump it here only (jars and the class-data archive are cached per version).
 */
export const KAFKA_VERSION = '4.4.0'

/**
 * Kafka's command-line tools (org.apache.kafka:kafka-tools) are not published for every release:
 * 4.4.0 has none on Maven Central, so the newest that is (4.3.1) is used. They are clients of the
 * broker, and a 4.3 client speaks to a 4.4 broker like any other.
 */
export const KAFKA_TOOLS_VERSION = '4.3.1'

/** The broker is Scala code; 2.13 is the only Scala line Kafka 4.x publishes. */
export const SCALA_BINARY_VERSION = '2.13'

/**
 * Kafka 4.4.0 brings log4j-api/log4j-core 2.25.5 and slf4j-api 1.7.36 transitively but no SLF4J binding
 * (the release tarball adds one itself). Without a binding SLF4J falls back to NOP and the broker is
 * silent, so we add log4j-slf4j-impl (the binding for SLF4J 1.x) at exactly the log4j-core version.
 */
export const LOG4J_VERSION = '2.25.5'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** `PULSE_CACHE_DIR` moves the whole cache (jars and default data dirs), e.g. onto a larger disk. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['PULSE_CACHE_DIR']
  return fromEnv !== undefined && fromEnv !== '' ? path.resolve(fromEnv) : path.join(repoRoot, '.cache')
}

/** `<cache>/kafka/<version>`: holds `libs/` and the class-data-sharing archive of that version. */
export function versionDir(version: string, root: string = cacheRoot()): string {
  return path.join(root, 'kafka', version)
}

/** One data dir per port, so brokers on different ports never share storage or a pidfile. */
export function defaultDataDir(port: number, root: string = cacheRoot()): string {
  return path.join(root, 'kafka-data', String(port))
}

/** Files a broker keeps in its data dir; one place so start, stop and status agree on them. */
export interface DataDirLayout {
  readonly dataDir: string
  readonly logDirs: string
  readonly metaProperties: string
  readonly serverProperties: string
  readonly log4jConfig: string
  readonly logsDir: string
  readonly serverLog: string
  readonly stdoutLog: string
  readonly pidFile: string
  readonly pendingArchive: string
}

export function dataDirLayout(dataDir: string): DataDirLayout {
  const dir = path.resolve(dataDir)
  const logDirs = path.join(dir, 'kraft')
  const logsDir = path.join(dir, 'logs')
  return {
    dataDir: dir,
    logDirs,
    metaProperties: path.join(logDirs, 'meta.properties'),
    serverProperties: path.join(dir, 'server.properties'),
    log4jConfig: path.join(dir, 'log4j2.properties'),
    logsDir,
    serverLog: path.join(logsDir, 'server.log'),
    stdoutLog: path.join(logsDir, 'stdout.log'),
    pidFile: path.join(dir, 'kafka.pid'),
    pendingArchive: path.join(dir, 'kafka.jsa.partial'),
  }
}
