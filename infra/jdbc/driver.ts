// Fetches the official ClickHouse JDBC driver (com.clickhouse:clickhouse-jdbc) from Maven Central with
// Maven, once, into `<cache>/jdbc/clickhouse-jdbc-<version>/libs`: the tests use it as a foreign client
// of the embedded query interface, the way DBeaver or any JVM tool connects. No shaded `all` jar is
// served for this version, so Maven resolves the driver's closure (jdbc-v2, client-v2, Apache
// HttpClient 5, lz4-java…), as for Kafka (same fetch-once, never-half-filled folder).
import path from 'node:path'
import { ensureClasspath } from '../kafka/jars.ts'
import { cacheRoot } from '../kafka/paths.ts'

/** 0.10.0 is the newest whose files are all served here (0.11.x needs one that is not). */
export const CLICKHOUSE_JDBC_VERSION = '0.10.0'

export interface JdbcDriverOptions {
  /** Cache root (default `<repo>/.cache`, or env PULSE_CACHE_DIR). */
  cacheDir?: string | undefined
  mavenCommand?: string | undefined
  log?: ((line: string) => void) | undefined
}

/** The folder holding the driver and every jar it needs (`java -cp '<dir>/*'`). */
export async function ensureClickHouseJdbcDriver(options: JdbcDriverOptions = {}): Promise<string> {
  const version = CLICKHOUSE_JDBC_VERSION
  return ensureClasspath(
    {
      what: `the ClickHouse JDBC driver ${version}`,
      dir: path.join(options.cacheDir ?? cacheRoot(), 'jdbc', `clickhouse-jdbc-${version}`),
      dependencies: [{ groupId: 'com.clickhouse', artifactId: 'clickhouse-jdbc', version }],
      // The facade, the v2 driver it delegates to and the HTTP client under it: a folder lacking one is partial.
      isComplete: (names) => [`clickhouse-jdbc-${version}.jar`, `jdbc-v2-${version}.jar`, `client-v2-${version}.jar`].every((name) => names.includes(name)) && names.some((name) => name.startsWith('httpclient5-')),
    },
    options,
  )
}
