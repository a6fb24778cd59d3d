// No ClickHouse cluster runs here, so the cluster layout's DDL is held to what the real engine (chDB,
// ClickHouse 26) can check without one: every statement `pulse migrate --clickhouse-cluster` would
// send parses, and formats back with its ON CLUSTER clause and engine intact. And Pulse refuses a
// cluster whose inserts would be acknowledged before the shards have them.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../runtime/errors.ts'
import { layoutStatements, loadMigrations, migrate } from '../../sinks/clickhouse/migrate.ts'
import { embeddedClickHouse, uniqueName } from '../helpers/services.ts'

const CLUSTER = 'pulse_cluster'

async function formatQuery(sql: string): Promise<string> {
  const { client } = embeddedClickHouse().clickhouse
  const result = await client.query({ query: 'SELECT formatQuery({sql:String}) AS formatted', query_params: { sql }, format: 'JSONEachRow' })
  return (await result.json<{ formatted: string }>())[0]?.formatted ?? ''
}

describe('the cluster layout, parsed by the real engine', () => {
  const statements = layoutStatements(loadMigrations(), CLUSTER).flatMap((step) => step.statements.map((sql) => sql.replaceAll('{database}', 'pulse')))

  it('parses every statement of every migration, keeping ON CLUSTER and the engine', async () => {
    expect(statements.length).toBeGreaterThan(20)
    for (const sql of statements) {
      const formatted = await formatQuery(sql)
      expect(formatted, sql.slice(0, 100)).toContain(`ON CLUSTER ${CLUSTER}`)
      const engine = /ENGINE = (\w+)\(/.exec(sql)?.[1]
      if (engine !== undefined) expect(formatted, sql.slice(0, 100)).toContain(`ENGINE = ${engine}(`)
    }
  })

  it('would catch a statement the engine cannot parse (the check can fail)', async () => {
    await expect(formatQuery(`CREATE TABLE pulse.t ON CLUSTER ${CLUSTER} (a UInt8) ENGINE = ReplicatedMergeTree('/p', '{replica}' ORDER BY a`)).rejects.toThrow()
  })

  it('is refused before any DDL where inserts into Distributed tables would not wait for the shards', async () => {
    const { client } = embeddedClickHouse().clickhouse
    const database = uniqueName('cluster_refused')
    await expect(migrate(client, database, undefined, { cluster: CLUSTER })).rejects.toThrow(ConfigError)
    await expect(migrate(client, database, undefined, { cluster: CLUSTER })).rejects.toThrow(/distributed_foreground_insert = 1/)
    const result = await client.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {database:String}', query_params: { database }, format: 'JSONEachRow' })
    expect(Number((await result.json<{ n: string | number }>())[0]?.n)).toBe(0)
  })
})
