// The compose stack's pulse_analyst (the user people and Grafana query with) reads and nothing else,
// within limits it cannot raise; and every ClickHouse query of the Grafana dashboards runs as that
// user on real data. A `pulse run` fills a data directory first; then this process opens it in a
// ClickHouse engine with infra/clickhouse's users file loaded and pulse_analyst as its user.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardQueries, expandClickHouseMacros } from '../../infra/grafana/dashboards.ts'
import { pulse } from '../helpers/cli.ts'
import { REFUSED, openClickHouseAs, refusal, type LocalClickHouse } from './ops-clickhouse-local.ts'

let dataDir: string
let local: LocalClickHouse

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const result = await local.clickhouse.client.query({ query: sql, format: 'JSONEachRow' })
  return result.json<Record<string, unknown>>()
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pulse-analyst-'))
  await pulse(['run', '--duration', '8', '--data-dir', dataDir, '--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0'])
  local = openClickHouseAs('pulse_analyst', dataDir)
}, 90_000)

afterAll(async () => {
  await (local as LocalClickHouse | undefined)?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('ClickHouse user pulse_analyst (infra/clickhouse/users.d/pulse.xml)', () => {
  it('reads Pulse\'s tables under its profile\'s limits, and may neither write nor raise the limits', async () => {
    const [settings] = await rows("SELECT getSetting('readonly') AS readonly, getSetting('max_execution_time') AS seconds, getSetting('max_memory_usage') AS bytes")
    expect(Object.fromEntries(Object.entries(settings ?? {}).map(([name, value]) => [name, Number(value)]))).toEqual({ readonly: 2, seconds: 60, bytes: 2_000_000_000 })
    const [events] = await rows('SELECT count() AS n FROM pulse.client_events')
    expect(Number(events?.n)).toBeGreaterThan(0)

    expect(await refusal(local.clickhouse, "INSERT INTO pulse.dead_letters (stage) VALUES ('x')")).toMatch(REFUSED)
    expect(await refusal(local.clickhouse, 'CREATE TABLE pulse.scratch (a UInt8) ENGINE = Memory')).toMatch(REFUSED)
    expect(await refusal(local.clickhouse, 'SELECT 1 SETTINGS max_execution_time = 3600')).toMatch(/SETTING_CONSTRAINT_VIOLATION|shouldn't be greater|should not be greater/)
    expect(await refusal(local.clickhouse, 'SELECT 1 SETTINGS max_memory_usage = 100000000000')).toMatch(/SETTING_CONSTRAINT_VIOLATION|shouldn't be greater|should not be greater/)
    // Lower limits, as Grafana's data source sends them, are allowed.
    expect(await refusal(local.clickhouse, 'SELECT 1 SETTINGS max_execution_time = 30')).toBeUndefined()
  })

  it('runs every ClickHouse query of the Grafana dashboards, and they show the run\'s data', async () => {
    const now = Math.floor(Date.now() / 1000)
    const range = { fromSeconds: now - 3600, toSeconds: now + 60, intervalSeconds: 10 }
    const queries = dashboardQueries().filter((query) => query.sql !== undefined)
    expect(queries.length).toBeGreaterThan(15)
    const failures: string[] = []
    const empty: string[] = []
    for (const query of queries) {
      const where = `${query.dashboard} / ${query.panel}`
      try {
        const result = await rows(expandClickHouseMacros(query.sql ?? '', range))
        // A clean run has no dead letters; every other panel has something to show.
        if (result.length === 0 && !(query.sql ?? '').includes('pulse.dead_letters')) empty.push(where)
      } catch (error) {
        failures.push(`${where}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    expect(failures).toEqual([])
    expect(empty).toEqual([])
  })
})
