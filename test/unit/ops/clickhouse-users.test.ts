// pulse_writer may do exactly what the pipeline does to ClickHouse, and pulse_analyst only read:
// every migration statement and every table the pipeline's code reads is covered by a grant, and
// nothing broader is granted. A new kind of migration statement fails here until its privilege is
// both mapped below and granted in infra/clickhouse/users.d/pulse.xml.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { grantedPrivileges, mayDo, pulseUser } from '../../../infra/clickhouse/users.ts'
import { loadMigrations } from '../../../sinks/clickhouse/migrate.ts'
import { ROOT } from './compose.ts'

const DATABASE = 'pulse'
const writer = pulseUser('pulse_writer')
const analyst = pulseUser('pulse_analyst')

/** The privileges one migration statement needs, and on which table. */
function required(statement: string): { privilege: string; table: string }[] {
  const sql = statement.replace(/\s+/g, ' ').trim()
  const table = /\{database\}\.(\w+)/.exec(sql)?.[1] ?? ''
  if (/^CREATE TABLE /i.test(sql)) return [{ privilege: 'CREATE TABLE', table }]
  if (/^CREATE (OR REPLACE )?(MATERIALIZED )?VIEW /i.test(sql)) {
    // Creating a view is checked against SELECT on every table it reads; replacing one as dropping it.
    const reads = [...sql.matchAll(/\b(?:FROM|JOIN) \{database\}\.(\w+)/gi)].map((match) => ({ privilege: 'SELECT', table: match[1] ?? '' }))
    const replaces = /^CREATE OR REPLACE /i.test(sql) ? [{ privilege: 'DROP VIEW', table }] : []
    return [{ privilege: 'CREATE VIEW', table }, ...replaces, ...reads]
  }
  const drop = /^DROP (TABLE|VIEW) IF EXISTS /i.exec(sql)
  if (drop !== null) return [{ privilege: `DROP ${(drop[1] ?? '').toUpperCase()}`, table }]
  if (/^ALTER TABLE /i.test(sql)) {
    const actions = [...sql.matchAll(/\b(ADD|MODIFY|DROP|RENAME|CLEAR|COMMENT|MATERIALIZE)\s+(COLUMN|INDEX|PROJECTION|CONSTRAINT|TTL|SETTING)\b/gi)]
    if (actions.length === 0) throw new Error(`unmapped ALTER in a migration: ${sql}`)
    return actions.map((action) => ({ privilege: `ALTER ${(action[1] ?? '').toUpperCase()} ${(action[2] ?? '').toUpperCase()}`, table }))
  }
  throw new Error(`unmapped migration statement (map its privilege here and grant it to pulse_writer): ${sql}`)
}

function sources(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

describe('ClickHouse users for docker-compose', () => {
  it('let pulse_writer run every migration and the migration bookkeeping', () => {
    const missing: string[] = []
    for (const migration of loadMigrations()) {
      for (const statement of migration.statements) {
        for (const { privilege, table } of required(statement)) {
          if (!mayDo(writer, privilege, DATABASE, table)) missing.push(`${migration.name}: ${privilege} ON ${DATABASE}.${table}`)
        }
      }
    }
    // sinks/clickhouse/migrate.ts itself: the database, its ledger table, what is applied, and recording it.
    for (const [privilege, table] of [['CREATE DATABASE', 'x'], ['CREATE TABLE', 'schema_migrations'], ['SELECT', 'schema_migrations'], ['INSERT', 'schema_migrations']] as const) {
      if (!mayDo(writer, privilege, DATABASE, table)) missing.push(`migrate.ts: ${privilege} ON ${DATABASE}.${table}`)
    }
    expect(missing).toEqual([])
  })

  it('let pulse_writer read every table the pipeline reads, and insert into all of them', () => {
    const read = new Set<string>()
    for (const file of [...sources(join(ROOT, 'processors')), ...sources(join(ROOT, 'sinks'))]) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\b(?:FROM|JOIN)\s+\$\{[^}]*database[^}]*\}\.(\w+)/g)) read.add(match[1] ?? '')
    }
    expect(read).toContain('checkpoints')
    expect([...read].filter((table) => !mayDo(writer, 'SELECT', DATABASE, table))).toEqual([])
    expect(mayDo(writer, 'INSERT', DATABASE, 'any_table')).toBe(true)
  })

  it('grant pulse_writer nothing broader: no reading every table, no dropping, no other database', () => {
    const privileges = grantedPrivileges(writer)
    expect(privileges.get('SELECT')).not.toContain(`${DATABASE}.*`)
    for (const [privilege, targets] of privileges) {
      expect(privilege).not.toMatch(/^(ALL|DROP|TRUNCATE|ALTER DELETE|ALTER UPDATE|ALTER DROP|ALTER)$/)
      for (const target of targets) expect(target.startsWith(`${DATABASE}.`), `${privilege} ON ${target}`).toBe(true)
    }
    // Dropping only the aggregates migration 012 rebuilds at a new grain, and their views.
    expect(privileges.get('DROP TABLE')?.sort()).toEqual(['pulse.engagement_1m', 'pulse.qoe_1m'])
    expect(privileges.get('DROP VIEW')?.sort()).toEqual(['pulse.engagement_1m_v', 'pulse.qoe_1m_v'])
  })

  it('let pulse_analyst only SELECT from pulse, under a read-only profile', () => {
    expect([...grantedPrivileges(analyst)]).toEqual([['SELECT', [`${DATABASE}.*`]]])
    expect(analyst.profile).toBe('pulse_analyst')
    const xml = readFileSync(join(ROOT, 'infra/clickhouse/users.d/pulse.xml'), 'utf8')
    const profile = /<profiles>[\s\S]*?<pulse_analyst>([\s\S]*?)<\/pulse_analyst>/.exec(xml)?.[1] ?? ''
    expect(profile).toMatch(/<readonly>2<\/readonly>/)
    expect(profile).toMatch(/<max_execution_time>\d+<\/max_execution_time>/)
    expect(profile).toMatch(/<max_memory_usage>\d+<\/max_memory_usage>/)
    expect(profile, 'limits a query cannot raise').toMatch(/<constraints>[\s\S]*<max_execution_time><max>[\s\S]*<max_memory_usage><max>/)
  })
})
