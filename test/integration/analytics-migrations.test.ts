// Every numbered migration, run twice on the embedded engine into a fresh database: the second run
// applies nothing and leaves the schema (every column of every table and view, and every view's
// definition) exactly as the first left it; each one re-run right after itself changes nothing; and
// 012 moves an existing deployment to the coarser per-minute grain.
import { describe, expect, it } from 'vitest'
import type { ClickHouseClient } from '@clickhouse/client'
import { loadMigrations, migrate } from '../../sinks/clickhouse/migrate.ts'
import { embeddedClickHouse, uniqueName } from '../helpers/services.ts'

async function schemaOf(client: ClickHouseClient, database: string): Promise<unknown[]> {
  const columns = await client.query({
    query: `SELECT table, name, type, position, default_kind, default_expression, compression_codec
            FROM system.columns WHERE database = {database:String} ORDER BY table, position`,
    query_params: { database },
    format: 'JSONEachRow',
  })
  const tables = await client.query({
    query: `SELECT name, engine, sorting_key, partition_key, as_select FROM system.tables WHERE database = {database:String} ORDER BY name`,
    query_params: { database },
    format: 'JSONEachRow',
  })
  return [...(await columns.json()), ...(await tables.json())]
}

describe('migrations', () => {
  it('run twice on a fresh database: the second run applies nothing and changes no column', async () => {
    const { client } = embeddedClickHouse().clickhouse
    const database = uniqueName('migrate_twice')
    const all = loadMigrations().map((migration) => `${String(migration.version).padStart(3, '0')}_${migration.name}`)

    const first = await migrate(client, database)
    expect(first).toEqual({ applied: all, alreadyApplied: [] })
    const afterFirst = await schemaOf(client, database)

    const second = await migrate(client, database)
    expect(second).toEqual({ applied: [], alreadyApplied: all })
    expect(await schemaOf(client, database)).toEqual(afterFirst)

    // The schema is not empty by accident: raw tables, aggregates and the analytics views are there.
    const names = new Set(afterFirst.map((row) => (row as { table?: string; name: string }).table ?? (row as { name: string }).name))
    for (const name of ['client_events', 'qoe_1m', 'schema_migrations', 'qoe_1m_v', 'engagement_1m_v', 'playback_sessions_v', 'flows_1m_v', 'title_qoe_1m_v', 'title_engagement_1m_v']) expect(names).toContain(name)
  })

  it('are idempotent statement by statement: re-running a migration right after it changes nothing', async () => {
    // A migration interrupted half-way is re-run whole, on the schema of the migrations before it and
    // whatever part of it ran, so each statement must be safe to repeat there. (Not on the final
    // schema: 006's views name qoe_1m.title_id, which 012 dropped, and ClickHouse analyses a view's
    // query even when CREATE VIEW IF NOT EXISTS finds the view.)
    const { client } = embeddedClickHouse().clickhouse
    const database = uniqueName('migrate_rerun')
    const migrations = loadMigrations()
    for (const [index, migration] of migrations.entries()) {
      await migrate(client, database, migrations.slice(0, index + 1))
      const before = await schemaOf(client, database)
      for (const statement of migration.statements) await client.command({ query: statement.replaceAll('{database}', database) })
      expect(await schemaOf(client, database), migration.name).toEqual(before)
    }
  })

  it('give an existing deployment the coarser grain of 012: the old per-minute rows go, the raw rows stay', async () => {
    const { client } = embeddedClickHouse().clickhouse
    const database = uniqueName('migrate_012')
    const migrations = loadMigrations()
    await migrate(client, database, migrations.filter((migration) => migration.version < 12))
    await client.command({ query: `INSERT INTO ${database}.qoe_1m (minute, title_id, device_type, country, cdn, plays) VALUES ('2026-12-01 10:00:00', 't1', 'tv', 'NL', 'akamai', 3)` })
    await client.command({ query: `INSERT INTO ${database}.client_events (event_time, event_id, event_type, title_id, row_id) VALUES ('2026-12-01 10:00:01', 'e1', 'row_impression', 't1', 'top_10')` })
    expect(await migrate(client, database, migrations)).toEqual({ applied: migrations.filter((migration) => migration.version >= 12).map((migration) => `${String(migration.version).padStart(3, '0')}_${migration.name}`), alreadyApplied: expect.any(Array) as unknown })
    const columns = await client.query({ query: `SELECT name FROM system.columns WHERE database = {database:String} AND table = 'qoe_1m'`, query_params: { database }, format: 'JSONEachRow' })
    expect((await columns.json<{ name: string }>()).map((column) => column.name)).not.toContain('title_id')
    const count = async (sql: string): Promise<number> => Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n)
    expect(await count(`SELECT count() AS n FROM ${database}.qoe_1m_v`)).toBe(0)
    expect(await count(`SELECT sum(impressions) AS n FROM ${database}.title_engagement_1m_v WHERE title_id = 't1' AND row_id = 'top_10'`)).toBe(1)
  })
})
