// Every numbered migration, run twice on the embedded engine into a fresh database: the second run
// applies nothing and leaves the schema (every column of every table and view, and every view's
// definition) exactly as the first left it.
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
    for (const name of ['client_events', 'qoe_1m', 'schema_migrations', 'qoe_1m_v', 'engagement_1m_v', 'playback_sessions_v', 'flows_1m_v']) expect(names).toContain(name)
  })

  it('are idempotent statement by statement: re-running every statement after a full run changes nothing', async () => {
    // A migration interrupted half-way is re-run whole, so each statement must be safe to repeat.
    const { client } = embeddedClickHouse().clickhouse
    const database = uniqueName('migrate_rerun')
    await migrate(client, database)
    const before = await schemaOf(client, database)
    for (const migration of loadMigrations()) {
      for (const statement of migration.statements) await client.command({ query: statement.replaceAll('{database}', database) })
    }
    expect(await schemaOf(client, database)).toEqual(before)
  })
})
