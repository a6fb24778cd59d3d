// The cluster layout of the migrations, read as text: which tables are sharded and which replicated
// everywhere, which key shards them, and that the single-server statements are exactly the files'.
// test/integration/cluster-ddl.test.ts has the real engine parse every one of them.
import { describe, expect, it } from 'vitest'
import { clusterStatements, DEDUP_WINDOW_SECONDS, EVERYWHERE_TABLES } from '../../../sinks/clickhouse/cluster-ddl.ts'
import { layoutStatements, loadMigrations } from '../../../sinks/clickhouse/migrate.ts'

const migrations = loadMigrations()
const cluster = layoutStatements(migrations, 'pulse').flatMap((step) => step.statements)
const created = (name: string): string[] => cluster.filter((sql) => sql.startsWith(`CREATE TABLE IF NOT EXISTS {database}.${name} `))
const rawTables = migrations.flatMap((migration) => migration.statements).flatMap((sql) => /^CREATE TABLE IF NOT EXISTS \{database\}\.(\w+)/.exec(sql)?.[1] ?? [])

describe('the single-server layout', () => {
  it('sends each migration file statement as written, after the database and schema_migrations', () => {
    const steps = layoutStatements(migrations)
    expect(steps.slice(1).map((step) => step.statements)).toEqual(migrations.map((migration) => migration.statements))
    expect(steps[0]?.statements[0]).toBe('CREATE DATABASE IF NOT EXISTS {database}')
    expect(steps[0]?.statements[1]).toMatch(/ENGINE = ReplacingMergeTree ORDER BY version$/)
  })
})

describe('the cluster layout', () => {
  it('runs every statement ON CLUSTER', () => {
    for (const sql of cluster) expect(sql, sql.slice(0, 80)).toMatch(/ ON CLUSTER pulse(\s|$)/)
  })

  it('shards each event and aggregate table: a Replicated*MergeTree NAME_local per shard and a Distributed NAME over them', () => {
    const sharded = rawTables.filter((name) => !EVERYWHERE_TABLES.has(name))
    expect(sharded.length).toBeGreaterThanOrEqual(10)
    for (const name of sharded) {
      const [local] = created(`${name}_local`)
      expect(local, name).toMatch(new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${name}_local', '\\{replica\\}'`))
      const [front] = created(name)
      expect(front, name).toMatch(new RegExp(`AS \\{database\\}\\.${name}_local\\nENGINE = Distributed\\('pulse', '\\{database\\}', '${name}_local', cityHash64\\(`))
    }
  })

  it('shards by the sorting key, so every version of a session meets on one shard (FINAL) and replays split the same way', () => {
    expect(created('playback_sessions')[0]).toMatch(/cityHash64\(session_id\)\)$/)
    expect(created('care_actions')[0]).toMatch(/cityHash64\(session_id\)\)$/)
    // The last creation: migration 012 gave qoe_1m its present grain.
    expect(created('qoe_1m').at(-1)).toMatch(/cityHash64\(minute, device_type, country, cdn\)\)$/)
    expect(created('client_events')[0]).toMatch(/cityHash64\(event_type, event_time\)\)$/)
  })

  it('replicates checkpoints and schema_migrations to every server, with no Distributed table', () => {
    for (const name of EVERYWHERE_TABLES) {
      expect(created(name), name).toHaveLength(1)
      expect(created(name)[0], name).toMatch(new RegExp(`ENGINE = ReplicatedReplacingMergeTree\\('/clickhouse/tables/all/\\{database\\}/${name}', '\\{replica\\}'`))
    }
    expect(created('checkpoints')[0]).toMatch(/'\{replica\}', version\)/)
  })

  it('keeps the dedup window of a single server: the same block count, and age no limit before it', () => {
    const windowed = cluster.filter((sql) => sql.includes('deduplication_window'))
    expect(windowed.length).toBeGreaterThan(0)
    for (const sql of windowed) {
      expect(sql).not.toMatch(/non_replicated/)
      expect(sql).toMatch(new RegExp(`replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS}`))
    }
  })

  it('adds a column to both tables of a sharded pair, and once to a table replicated everywhere', () => {
    expect(clusterStatements('ALTER TABLE {database}.client_events ADD COLUMN IF NOT EXISTS x UInt8', 'c')).toEqual([
      'ALTER TABLE {database}.client_events_local ON CLUSTER c ADD COLUMN IF NOT EXISTS x UInt8',
      'ALTER TABLE {database}.client_events ON CLUSTER c ADD COLUMN IF NOT EXISTS x UInt8',
    ])
    expect(clusterStatements('ALTER TABLE {database}.checkpoints ADD COLUMN IF NOT EXISTS x UInt8', 'c')).toHaveLength(1)
  })

  it('drops both tables of a sharded pair, Distributed first and SYNC (the Keeper path is reused at once), and a view once', () => {
    expect(clusterStatements('DROP TABLE IF EXISTS {database}.qoe_1m', 'c')).toEqual([
      'DROP TABLE IF EXISTS {database}.qoe_1m ON CLUSTER c SYNC',
      'DROP TABLE IF EXISTS {database}.qoe_1m_local ON CLUSTER c SYNC',
    ])
    expect(clusterStatements('DROP VIEW IF EXISTS {database}.qoe_1m_v', 'c')).toEqual(['DROP VIEW IF EXISTS {database}.qoe_1m_v ON CLUSTER c'])
  })

  it('refuses a statement it has no cluster form for, and a cluster name that is not an identifier', () => {
    expect(() => clusterStatements('DROP TABLE {database}.client_events', 'c')).toThrow(/no cluster form/)
    expect(() => clusterStatements('CREATE DATABASE IF NOT EXISTS {database}', "c'; DROP")).toThrow(/identifier/)
  })
})
