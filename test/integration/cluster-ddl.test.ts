// No ClickHouse cluster runs here, so the cluster layout is held to what the real engine (chDB,
// ClickHouse 26) can check without Keeper. This process's engine loads the cluster profile's server
// config (infra/clickhouse/cluster/config.d/cluster.xml), so the cluster exists for it. Then:
// - every statement `pulse migrate --clickhouse-cluster` would send parses and formats back intact;
// - the same statements run on this one server, with only what needs Keeper set aside (ON CLUSTER,
//   the Replicated engines' Keeper paths): the Distributed tables are created over the real cluster
//   definition, their sharding keys typed against the columns, columns added through them, and the
//   views created over them;
// - Pulse refuses the layout where inserts into Distributed tables would not wait for the shards.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Session } from 'chdb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../runtime/errors.ts'
import { connectClickHouse, type ClickHouse } from '../../sinks/clickhouse/connection.ts'
import { EVERYWHERE_TABLES } from '../../sinks/clickhouse/cluster-ddl.ts'
import { layoutStatements, loadMigrations, migrate } from '../../sinks/clickhouse/migrate.ts'
import { uniqueName } from '../helpers/services.ts'

const CLUSTER = 'pulse_cluster'
const CLUSTER_CONFIG = fileURLToPath(new URL('../../infra/clickhouse/cluster/config.d/cluster.xml', import.meta.url))

let directory: string
let session: Session
let clickhouse: ClickHouse

async function formatQuery(sql: string): Promise<string> {
  const result = await clickhouse.client.query({ query: 'SELECT formatQuery({sql:String}) AS formatted', query_params: { sql }, format: 'JSONEachRow' })
  return (await result.json<{ formatted: string }>())[0]?.formatted ?? ''
}

/** The statement as one server without Keeper can run it: no ON CLUSTER, Replicated engines as their plain twins. */
function onOneServer(sql: string): string {
  return sql
    .replace(` ON CLUSTER ${CLUSTER}`, '')
    .replace(/Replicated(\w*MergeTree)\('[^']*', '\{replica\}'(?:, )?([^)]*)\)/, '$1($2)')
    .replace(/replicated_deduplication_window = (\d+), replicated_deduplication_window_seconds = \d+/, 'non_replicated_deduplication_window = $1')
}

describe('the cluster layout, on the real engine', () => {
  const statements = layoutStatements(loadMigrations(), CLUSTER).flatMap((step) => step.statements)

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'pulse-cluster-ddl-'))
    mkdirSync(join(directory, 'config.d'))
    copyFileSync(CLUSTER_CONFIG, join(directory, 'config.d', 'cluster.xml'))
    writeFileSync(join(directory, 'config.xml'), '<clickhouse></clickhouse>\n')
    Object.assign(process.env, { PULSE_CLICKHOUSE_CLUSTER_SECRET: 'test', PULSE_CLICKHOUSE_SHARD: '01', PULSE_CLICKHOUSE_REPLICA: 'clickhouse-s1r1' })
    // libchdb reads its configuration from the process's first connection; later clients share it.
    session = new Session(join(directory, 'data'), { connectionArgs: [`--config-file=${join(directory, 'config.xml')}`] })
    clickhouse = connectClickHouse({ dataDir: join(directory, 'data'), username: 'default', password: '' })
  })

  afterAll(async () => {
    await (clickhouse as ClickHouse | undefined)?.close()
    ;(session as Session | undefined)?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('knows the cluster of the compose profile: two shards of two replicas, macros from the environment', async () => {
    const result = await clickhouse.client.query({ query: `SELECT shard_num, replica_num, host_name FROM system.clusters WHERE cluster = '${CLUSTER}' ORDER BY 1, 2`, format: 'JSONCompactEachRow' })
    expect(await result.json()).toEqual([[1, 1, 'clickhouse-s1r1'], [1, 2, 'clickhouse-s1r2'], [2, 1, 'clickhouse-s2r1'], [2, 2, 'clickhouse-s2r2']])
    const macros = await clickhouse.client.query({ query: 'SELECT macro, substitution FROM system.macros ORDER BY macro', format: 'JSONCompactEachRow' })
    expect(await macros.json()).toEqual([['replica', 'clickhouse-s1r1'], ['shard', '01']])
  })

  it('parses every statement of every migration, keeping ON CLUSTER and the engine', async () => {
    expect(statements.length).toBeGreaterThan(20)
    for (const sql of statements.map((statement) => statement.replaceAll('{database}', 'pulse'))) {
      const formatted = await formatQuery(sql)
      expect(formatted, sql.slice(0, 100)).toContain(`ON CLUSTER ${CLUSTER}`)
      const engine = /ENGINE = (\w+)\(/.exec(sql)?.[1]
      if (engine !== undefined) expect(formatted, sql.slice(0, 100)).toContain(`ENGINE = ${engine}(`)
    }
  })

  it('would catch a statement the engine cannot parse (the check can fail)', async () => {
    await expect(formatQuery(`CREATE TABLE pulse.t ON CLUSTER ${CLUSTER} (a UInt8) ENGINE = ReplicatedMergeTree('/p', '{replica}' ORDER BY a`)).rejects.toThrow()
  })

  it('creates Distributed tables over the cluster, with typed sharding keys, and views and columns through them', async () => {
    const database = uniqueName('cluster_layout')
    for (const sql of statements) await clickhouse.client.command({ query: onOneServer(sql).replaceAll('{database}', database) })
    const result = await clickhouse.client.query({ query: `SELECT name, engine FROM system.tables WHERE database = '${database}'`, format: 'JSONEachRow' })
    const engines = new Map((await result.json<{ name: string; engine: string }>()).map((row) => [row.name, row.engine]))
    const sharded = [...engines.keys()].filter((name) => name.endsWith('_local')).map((name) => name.slice(0, -'_local'.length))
    expect(sharded.length).toBeGreaterThanOrEqual(10)
    for (const name of sharded) expect(engines.get(name), name).toBe('Distributed')
    for (const name of EVERYWHERE_TABLES) expect(engines.get(name), name).toBe('ReplacingMergeTree')
    for (const view of ['qoe_1m_v', 'engagement_1m_v', 'playback_sessions_v', 'flows_1m_v']) expect(engines.get(view), view).toBe('View')
    // Columns added by later migrations reach the Distributed table too, or reads through it would miss them.
    const columns = await clickhouse.client.query({ query: `SELECT name FROM system.columns WHERE database = '${database}' AND table = 'client_events'`, format: 'JSONEachRow' })
    expect((await columns.json<{ name: string }>()).map((column) => column.name)).toEqual(expect.arrayContaining(['arrival', 'source_index']))
  })

  it('is refused before any DDL where inserts into Distributed tables would not wait for the shards', async () => {
    const database = uniqueName('cluster_refused')
    await expect(migrate(clickhouse.client, database, undefined, { cluster: CLUSTER })).rejects.toThrow(ConfigError)
    await expect(migrate(clickhouse.client, database, undefined, { cluster: CLUSTER })).rejects.toThrow(/distributed_foreground_insert = 1/)
    const result = await clickhouse.client.query({ query: 'SELECT count() AS n FROM system.databases WHERE name = {database:String}', query_params: { database }, format: 'JSONEachRow' })
    expect(Number((await result.json<{ n: string | number }>())[0]?.n)).toBe(0)
  })
})
