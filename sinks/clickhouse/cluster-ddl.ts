// The cluster layout of the migrations (`--clickhouse-cluster NAME`): each single-server statement
// rewritten for a sharded, replicated cluster, so the migration files stay the one schema.
//
// - A table of events or aggregates becomes NAME_local, a Replicated*MergeTree on every shard
//   (ON CLUSTER), and NAME itself a Distributed table over them, so every reader and writer keeps
//   using the same table names. Rows are sharded by a hash of the table's sorting key: deterministic,
//   so a replayed block splits across shards exactly as the first attempt did and each shard drops
//   its part of the repeat by the block's deduplication token (ReplicatedMergeTree deduplicates per
//   shard, in Keeper, whichever replica receives the insert); and rows that merge together
//   (ReplacingMergeTree versions of one session, SummingMergeTree keys) meet on one shard, so FINAL
//   and background merges see all of them.
// - The small tables read back whole at start-up (checkpoints, schema_migrations) are replicated to
//   every server instead (one Keeper path for the whole cluster): whichever server Pulse connects to
//   holds every checkpoint, with no Distributed hop in front of FINAL.
// - Views and columns are created ON CLUSTER, on both tables of a pair.
// - A dropped table (migration 012 drops aggregates to give them a new grain) is dropped ON CLUSTER,
//   both tables of a pair, SYNC: a replicated table's Keeper path is freed before the same
//   migration creates it again under that path.
//
// Anything else in a migration is refused, so a new kind of statement cannot slip into a cluster
// unconverted: test/unit/sinks/cluster-ddl.test.ts runs every migration through here.

/** Tables replicated to every server instead of sharded. */
export const EVERYWHERE_TABLES: ReadonlySet<string> = new Set(['checkpoints', 'schema_migrations'])

export const LOCAL_SUFFIX = '_local'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\{database\}|\w+)\.(\w+)\s*\(([\s\S]*)\)\s*ENGINE\s*=\s*(\w*MergeTree)\b(?:\(([^)]*)\))?([\s\S]*)$/
const ALTER_TABLE = /^ALTER TABLE (\{database\}|\w+)\.(\w+)\s+(ADD COLUMN[\s\S]*)$/
const CREATE_VIEW = /^CREATE VIEW IF NOT EXISTS (\{database\}|\w+)\.(\w+)\s+(AS\s[\s\S]*)$/
const CREATE_DATABASE = /^CREATE DATABASE IF NOT EXISTS (\{database\}|\w+)$/
const DROP = /^DROP (TABLE|VIEW) IF EXISTS (\{database\}|\w+)\.(\w+)$/

export function assertClusterName(cluster: string): void {
  if (!NAME.test(cluster)) throw new Error(`cluster name ${JSON.stringify(cluster)} must be an identifier`)
}

/** The statements that give `statement`'s effect on every server of `cluster`. */
export function clusterStatements(statement: string, cluster: string): string[] {
  assertClusterName(cluster)
  const sql = statement.trim()
  const database = CREATE_DATABASE.exec(sql)
  if (database !== null) return [`CREATE DATABASE IF NOT EXISTS ${database[1]} ON CLUSTER ${cluster}`]
  const table = CREATE_TABLE.exec(sql)
  if (table !== null) return createTable(table, cluster)
  const alter = ALTER_TABLE.exec(sql)
  if (alter !== null) {
    const [, db, name, change] = alter as unknown as [string, string, string, string]
    const targets = EVERYWHERE_TABLES.has(name) ? [name] : [`${name}${LOCAL_SUFFIX}`, name]
    return targets.map((target) => `ALTER TABLE ${db}.${target} ON CLUSTER ${cluster} ${change}`)
  }
  const view = CREATE_VIEW.exec(sql)
  if (view !== null) return [`CREATE VIEW IF NOT EXISTS ${view[1]}.${view[2]} ON CLUSTER ${cluster} ${view[3]}`]
  const drop = DROP.exec(sql)
  if (drop !== null) return dropStatements(drop, cluster)
  throw new Error(`no cluster form for this migration statement (add one to cluster-ddl.ts): ${sql.slice(0, 120)}`)
}

function dropStatements(match: RegExpExecArray, cluster: string): string[] {
  const [, kind, db, name] = match as unknown as [string, 'TABLE' | 'VIEW', string, string]
  if (kind === 'VIEW') return [`DROP VIEW IF EXISTS ${db}.${name} ON CLUSTER ${cluster}`]
  // The Distributed table first, so no insert reaches a shard table that is going away.
  const targets = EVERYWHERE_TABLES.has(name) ? [name] : [name, `${name}${LOCAL_SUFFIX}`]
  return targets.map((target) => `DROP TABLE IF EXISTS ${db}.${target} ON CLUSTER ${cluster} SYNC`)
}

function createTable(match: RegExpExecArray, cluster: string): string[] {
  const [, db, name, columns, engine, engineArgs, rest] = match as unknown as [string, string, string, string, string, string | undefined, string]
  const everywhere = EVERYWHERE_TABLES.has(name)
  const local = everywhere ? name : `${name}${LOCAL_SUFFIX}`
  // {shard} and {replica} are the servers' macros (infra/clickhouse/cluster/); {database} is the
  // migration's placeholder, filled in before the statement runs.
  const path = `/clickhouse/tables/${everywhere ? 'all' : '{shard}'}/{database}/${local}`
  const args = [`'${path}'`, `'{replica}'`, ...(engineArgs === undefined || engineArgs.trim() === '' ? [] : [engineArgs.trim()])]
  const settings = replicatedSettings(rest)
  const replicated = `CREATE TABLE IF NOT EXISTS ${db}.${local} ON CLUSTER ${cluster}\n(${columns})\nENGINE = Replicated${engine}(${args.join(', ')})${settings}`
  if (everywhere) return [replicated]
  const distributed = `CREATE TABLE IF NOT EXISTS ${db}.${name} ON CLUSTER ${cluster} AS ${db}.${local}\nENGINE = Distributed('${cluster}', '${db}', '${local}', ${shardingKey(rest, name)})`
  return [replicated, distributed]
}

/**
 * A single server's dedup window counts blocks only (non_replicated_deduplication_window); a replicated
 * table's also expires by age, one hour by default, so a replay after a longer stop would insert its
 * pending blocks again. The same block count, and a week, keep the single server's behaviour.
 */
function replicatedSettings(rest: string): string {
  const window = /\bnon_replicated_deduplication_window\s*=\s*(\d+)/.exec(rest)
  if (window === null) return rest
  return rest.replace(window[0], `replicated_deduplication_window = ${window[1]}, replicated_deduplication_window_seconds = ${DEDUP_WINDOW_SECONDS}`)
}

/** A week: bounded by the block count long before at any real insert rate. */
export const DEDUP_WINDOW_SECONDS = 7 * 24 * 3600

/** cityHash64 of the ORDER BY columns: deterministic, and rows that merge together land on one shard. */
function shardingKey(rest: string, table: string): string {
  const orderBy = /\bORDER BY\s+(\([^)]*\)|[\w.]+)/.exec(rest)?.[1]
  if (orderBy === undefined) throw new Error(`table ${table} has no ORDER BY to shard by`)
  const columns = orderBy.startsWith('(') ? orderBy.slice(1, -1).trim() : orderBy
  return `cityHash64(${columns})`
}
