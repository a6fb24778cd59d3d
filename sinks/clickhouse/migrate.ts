// Numbered, idempotent migrations. Each file in ./migrations runs once per database and is recorded
// in schema_migrations; every statement is itself idempotent (IF NOT EXISTS), so two processes that
// start together, or a migration interrupted half-way, converge on the same schema.
import type { ClickHouseClient } from '@clickhouse/client'
import { ConfigError } from '../../runtime/errors.ts'
import { clusterStatements } from './cluster-ddl.ts'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Migration {
  version: number
  name: string
  statements: string[]
  /**
   * The migration's DROP statements run only while this table still has this column (the shape the
   * migration replaces): a process that starts while another has just rebuilt the table must not
   * drop the new one, with whatever rows were written to it since. Declared in the file as
   * `-- pulse:drops-only-while TABLE has COLUMN`.
   */
  dropsOnlyWhile?: { table: string; column: string }
}

const DROPS_ONLY_WHILE = /^-- pulse:drops-only-while (\w+) has (\w+)$/m

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

export function loadMigrations(directory: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(directory, file), 'utf8')
      const guard = DROPS_ONLY_WHILE.exec(sql)
      return {
        version: Number(file.slice(0, 3)),
        name: file.slice(4, -4),
        statements: splitStatements(sql),
        ...(guard === null ? {} : { dropsOnlyWhile: { table: guard[1] ?? '', column: guard[2] ?? '' } }),
      }
    })
}

/** Splits a SQL file on semicolons that end a line; comment lines are dropped. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
  return withoutComments
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '')
}

export interface MigrationReport {
  applied: string[]
  alreadyApplied: string[]
}

export interface MigrateOptions {
  /** Cluster name from the servers' remote_servers: the cluster layout (cluster-ddl.ts); unset, one server. */
  cluster?: string | undefined
}

/** What every database gets before its migrations: itself and the record of what was applied. */
const BOOTSTRAP = [
  'CREATE DATABASE IF NOT EXISTS {database}',
  `CREATE TABLE IF NOT EXISTS {database}.schema_migrations
      (version UInt32, name String, applied_at DateTime64(3, 'UTC'))
      ENGINE = ReplacingMergeTree ORDER BY version`,
]

/** Every statement a migration run sends, in order, for one server or for a cluster ({database} unfilled). */
export function layoutStatements(migrations: readonly Migration[], cluster?: string): { version: number | undefined; statements: string[] }[] {
  const forLayout = (statement: string): string[] => (cluster === undefined ? [statement] : clusterStatements(statement, cluster))
  return [
    { version: undefined, statements: BOOTSTRAP.flatMap(forLayout) },
    ...migrations.map((migration) => ({ version: migration.version, statements: migration.statements.flatMap(forLayout) })),
  ]
}

export async function migrate(client: ClickHouseClient, database: string, migrations = loadMigrations(), options: MigrateOptions = {}): Promise<MigrationReport> {
  if (options.cluster !== undefined) await requireForegroundInserts(client, options.cluster)
  const [bootstrap, ...steps] = layoutStatements(migrations, options.cluster)
  for (const statement of bootstrap?.statements ?? []) await client.command({ query: statement.replaceAll('{database}', database) })
  const done = await appliedVersions(client, database)
  const report: MigrationReport = { applied: [], alreadyApplied: [] }
  for (const [index, migration] of migrations.entries()) {
    const label = `${String(migration.version).padStart(3, '0')}_${migration.name}`
    if (done.has(migration.version)) {
      report.alreadyApplied.push(label)
      continue
    }
    const skipDrops = migration.dropsOnlyWhile !== undefined && !(await hasColumn(client, database, migration.dropsOnlyWhile))
    for (const statement of steps[index]?.statements ?? []) {
      if (skipDrops && statement.startsWith('DROP ')) continue
      await client.command({ query: statement.replaceAll('{database}', database) })
    }
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, applied_at: Date.now() }],
      format: 'JSONEachRow',
    })
    report.applied.push(label)
  }
  return report
}

/**
 * On a cluster an insert is acknowledged only once every shard has its part (a Distributed table
 * otherwise queues it on the server that took it and answers at once), or a source position could be
 * committed for rows still in that queue. The writer's profile must say so; the cluster profile of
 * docker-compose does (infra/clickhouse/cluster/users.d/cluster.xml).
 */
async function requireForegroundInserts(client: ClickHouseClient, cluster: string): Promise<void> {
  const result = await client.query({ query: "SELECT toString(getSetting('distributed_foreground_insert')) AS value", format: 'JSONEachRow' })
  const value = (await result.json<{ value: string }>())[0]?.value
  if (value === 'true' || value === '1') return
  throw new ConfigError(
    `--clickhouse-cluster ${cluster} needs distributed_foreground_insert = 1 in the ClickHouse user's profile ` +
      '(inserts through Distributed tables must be acknowledged by the shards); it is ' + String(value),
  )
}

async function hasColumn(client: ClickHouseClient, database: string, guard: { table: string; column: string }): Promise<boolean> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM system.columns WHERE database = {database:String} AND table = {table:String} AND name = {column:String}',
    query_params: { database, table: guard.table, column: guard.column },
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ n: number | string }>()
  return Number(rows[0]?.n ?? 0) > 0
}

async function appliedVersions(client: ClickHouseClient, database: string): Promise<Set<number>> {
  const result = await client.query({ query: `SELECT DISTINCT version FROM ${database}.schema_migrations`, format: 'JSONEachRow' })
  const rows = await result.json<{ version: number }>()
  return new Set(rows.map((row) => row.version))
}
