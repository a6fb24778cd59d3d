// Migrations: how SQL files split into statements, and what every shipped migration must look like
// (numbered in order, idempotent, and written against `{database}` rather than a fixed name).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadMigrations, splitStatements } from '../../../sinks/clickhouse/migrate.ts'

describe('splitStatements', () => {
  it('splits on semicolons that end a line', () => {
    expect(splitStatements('CREATE TABLE a (x UInt8);\nCREATE TABLE b (y UInt8);\n')).toEqual(['CREATE TABLE a (x UInt8)', 'CREATE TABLE b (y UInt8)'])
  })

  it('keeps a statement that spans lines whole', () => {
    expect(splitStatements('CREATE TABLE a\n(\n    x UInt8\n)\nENGINE = Memory;\n')).toEqual(['CREATE TABLE a\n(\n    x UInt8\n)\nENGINE = Memory'])
  })

  it('does not split on a semicolon inside a line', () => {
    expect(splitStatements("SELECT 'a;b', 1;\n")).toEqual(["SELECT 'a;b', 1"])
  })

  it('drops comment lines, including indented ones and ones inside a statement', () => {
    const sql = ['-- header; with a semicolon;', 'CREATE TABLE a', '(', '    -- why x;', '    x UInt8', ')', 'ENGINE = Memory;', '  -- trailing', ''].join('\n')
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a\n(\n    x UInt8\n)\nENGINE = Memory'])
  })

  it('keeps a last statement without a semicolon, and tolerates spaces after one', () => {
    expect(splitStatements('SELECT 1;   \nSELECT 2')).toEqual(['SELECT 1', 'SELECT 2'])
  })

  it('handles CRLF line endings', () => {
    expect(splitStatements('-- c\r\nSELECT 1;\r\nSELECT 2;\r\n')).toEqual(['SELECT 1', 'SELECT 2'])
  })

  it('returns nothing for a file of comments and blank lines', () => {
    expect(splitStatements('-- only\n\n   \n-- comments;\n')).toEqual([])
  })
})

describe('loadMigrations from a directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-migrations-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '010_later.sql'), 'SELECT 10;\n')
  writeFileSync(join(dir, '002_second.sql'), 'SELECT 2;\nSELECT 22;\n')
  writeFileSync(join(dir, '001_first.sql'), 'SELECT 1;\n')
  writeFileSync(join(dir, 'README.md'), 'not a migration')
  writeFileSync(join(dir, '003_third.sql.orig'), 'SELECT 3;\n')

  it('reads numbered files in order and ignores everything else', () => {
    expect(loadMigrations(dir)).toEqual([
      { version: 1, name: 'first', statements: ['SELECT 1'] },
      { version: 2, name: 'second', statements: ['SELECT 2', 'SELECT 22'] },
      { version: 10, name: 'later', statements: ['SELECT 10'] },
    ])
  })

  it('accepts the directory with or without a trailing separator', () => {
    expect(loadMigrations(`${dir}/`)).toEqual(loadMigrations(dir))
  })
})

describe('the shipped migrations', () => {
  const migrations = loadMigrations()

  it('drop the per-minute tables of 012 only while they still have the title (processors starting together must not drop the rebuilt ones)', () => {
    const coarse = migrations.find((migration) => migration.version === 12)
    expect(coarse?.dropsOnlyWhile).toEqual({ table: 'qoe_1m', column: 'title_id' })
    expect(coarse?.statements.filter((statement) => statement.startsWith('DROP ')).length).toBe(4)
    expect(migrations.filter((migration) => migration.version !== 12).every((migration) => migration.dropsOnlyWhile === undefined)).toBe(true)
  })

  it('are numbered 1, 2, 3, ... without gaps or repeats, in order', () => {
    expect(migrations.length).toBeGreaterThan(0)
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, index) => index + 1))
  })

  it('each hold at least one statement', () => {
    for (const migration of migrations) expect(migration.statements.length, migration.name).toBeGreaterThan(0)
  })

  it('name tables through the {database} placeholder, never a fixed database', () => {
    for (const migration of migrations) {
      for (const statement of migration.statements) {
        expect(statement, migration.name).toContain('{database}.')
        expect(statement, migration.name).not.toMatch(/\bpulse\./)
        // Every table name that is qualified at all is qualified with the placeholder.
        const qualified = statement.match(/[\w{}]+\.[A-Za-z_]\w*/g) ?? []
        for (const name of qualified) expect(name.startsWith('{database}.'), `${migration.name}: ${name}`).toBe(true)
      }
    }
  })

  it('are idempotent statement by statement (CREATE ... IF NOT EXISTS, ALTER ... ADD COLUMN IF NOT EXISTS, DROP ... IF EXISTS)', () => {
    const idempotent = /^(CREATE (TABLE|MATERIALIZED VIEW|VIEW|DATABASE) IF NOT EXISTS |ALTER TABLE \S+ (ADD|DROP) (COLUMN|INDEX) IF (NOT )?EXISTS |DROP (TABLE|VIEW) IF EXISTS )/
    for (const migration of migrations) {
      for (const statement of migration.statements) expect(statement, migration.name).toMatch(idempotent)
    }
  })

  it('create the tables the pipeline writes', () => {
    const created = migrations.flatMap((migration) => migration.statements.map((statement) => /IF NOT EXISTS \{database\}\.(\w+)/.exec(statement)?.[1]))
    for (const table of ['client_events', 'network_flows', 'ip_assignments', 'dead_letters', 'client_events_1m', 'flows_1m', 'checkpoints']) {
      expect(created).toContain(table)
    }
  })
})
