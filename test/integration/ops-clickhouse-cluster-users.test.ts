// The cluster servers load infra/clickhouse/cluster/users.d/cluster.xml beside the shipped users file.
// Whether ClickHouse merges the two as intended (the writer's grants appended, not overwritten; the
// foreground-insert setting in the default profile) is a property of its config loader, so this test
// asks the real one: both files go into a chDB engine's users.d and the resulting grants and profile
// are read back from its system tables.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Session } from 'chdb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pulseUser, USERS_FILE } from '../../infra/clickhouse/users.ts'

const CLUSTER_USERS = fileURLToPath(new URL('../../infra/clickhouse/cluster/users.d/cluster.xml', import.meta.url))

let directory: string
let session: Session

function rows<T>(sql: string): T[] {
  const text = session.query(sql, 'JSONEachRow')
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T)
}

describe('the cluster users file merged into the shipped one by a real ClickHouse', () => {
  beforeAll(() => {
    process.env.PULSE_CLICKHOUSE_WRITER_PASSWORD ??= 'pulse-writer-dev'
    process.env.PULSE_CLICKHOUSE_ANALYST_PASSWORD ??= 'pulse-analyst-dev'
    directory = mkdtempSync(join(tmpdir(), 'pulse-ch-cluster-users-'))
    mkdirSync(join(directory, 'users.d'))
    copyFileSync(USERS_FILE, join(directory, 'users.d', 'pulse.xml'))
    copyFileSync(CLUSTER_USERS, join(directory, 'users.d', 'cluster.xml'))
    // The engine's own session user may read the access tables; the files under test define the rest.
    writeFileSync(
      join(directory, 'users.xml'),
      '<clickhouse><profiles><default/></profiles><quotas><default/></quotas><users><default><password></password>' +
        '<profile>default</profile><quota>default</quota><access_management>1</access_management><networks><ip>::/0</ip></networks></default></users></clickhouse>\n',
    )
    writeFileSync(join(directory, 'config.xml'), `<clickhouse><user_directories><users_xml><path>${join(directory, 'users.xml')}</path></users_xml></user_directories></clickhouse>\n`)
    session = new Session(join(directory, 'data'), { connectionArgs: [`--config-file=${join(directory, 'config.xml')}`] })
  })

  afterAll(() => {
    ;(session as Session | undefined)?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it("keeps every grant of the writer's single-server file and adds CLUSTER and the shard tables it reads", () => {
    const grants = rows<{ access_type: string; database: string | null; table: string | null }>(
      "SELECT access_type, database, table FROM system.grants WHERE user_name = 'pulse_writer' ORDER BY access_type, table",
    )
    const selects = grants.filter((grant) => grant.access_type === 'SELECT').map((grant) => grant.table)
    const singleServer = pulseUser('pulse_writer').grants.flatMap((grant) => /^GRANT SELECT ON pulse\.(\w+)$/.exec(grant)?.[1] ?? [])
    expect(singleServer.length).toBeGreaterThan(5)
    expect(selects.sort()).toEqual([...singleServer, 'client_events_local', 'engagement_1m_local', 'flows_1m_local', 'ip_assignments_local', 'playback_sessions_local', 'qoe_1m_local'].sort())
    const types = new Set(grants.map((grant) => grant.access_type))
    for (const type of ['CLUSTER', 'INSERT', 'CREATE TABLE', 'CREATE VIEW', 'CREATE DATABASE', 'ALTER ADD COLUMN']) expect(types, type).toContain(type)
  })

  it('makes inserts through Distributed tables wait for the shards, in the profile the writer uses', () => {
    expect(pulseUser('pulse_writer').profile).toBe('default')
    const settings = rows<{ value: string }>(
      "SELECT value FROM system.settings_profile_elements WHERE profile_name = 'default' AND setting_name = 'distributed_foreground_insert'",
    )
    expect(settings.map((setting) => setting.value)).toEqual(['1'])
  })
})
