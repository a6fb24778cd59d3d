// Numbered, idempotent migrations. Each file in ./migrations runs once per database and is recorded
// in schema_migrations; every statement is itself idempotent (IF NOT EXISTS), so two processes that
// start together, or a migration interrupted half-way, converge on the same schema.
import type { ClickHouseClient } from '@clickhouse/client'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Migration {
  version: number
  name: string
  statements: string[]
}

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

export function loadMigrations(directory: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      statements: splitStatements(readFileSync(join(directory, file), 'utf8')),
    }))
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

export async function migrate(client: ClickHouseClient, database: string, migrations = loadMigrations()): Promise<MigrationReport> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` })
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
      (version UInt32, name String, applied_at DateTime64(3, 'UTC'))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  })
  const done = await appliedVersions(client, database)
  const report: MigrationReport = { applied: [], alreadyApplied: [] }
  for (const migration of migrations) {
    const label = `${String(migration.version).padStart(3, '0')}_${migration.name}`
    if (done.has(migration.version)) {
      report.alreadyApplied.push(label)
      continue
    }
    for (const statement of migration.statements) {
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

async function appliedVersions(client: ClickHouseClient, database: string): Promise<Set<number>> {
  const result = await client.query({ query: `SELECT DISTINCT version FROM ${database}.schema_migrations`, format: 'JSONEachRow' })
  const rows = await result.json<{ version: number }>()
  return new Set(rows.map((row) => row.version))
}
