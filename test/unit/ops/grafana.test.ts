// The provisioned dashboards are loadable and wired to the provisioned data sources: unique uids,
// every panel's queries aimed at Prometheus (PromQL) or ClickHouse (SQL) by a known uid, ClickHouse
// SQL using only the macros the checks can expand, and only the tables that exist today. Whether the
// queries run is checked against a real Prometheus and a real ClickHouse in test/integration/ops-*.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { CLICKHOUSE_UID, PROMETHEUS_UID, dashboardQueries, expandClickHouseMacros, loadDashboards } from '../../../infra/grafana/dashboards.ts'
import { ROOT } from './compose.ts'

const dashboards = loadDashboards()
const queries = dashboardQueries(dashboards)
const RANGE = { fromSeconds: 1_700_000_000, toSeconds: 1_700_003_600, intervalSeconds: 60 }

describe('Grafana dashboards', () => {
  it('are the four promised, each with a unique uid and title', () => {
    expect(dashboards.map(({ file }) => file)).toEqual(['engagement.json', 'network.json', 'pipeline-health.json', 'qoe.json'])
    const uids = dashboards.map(({ dashboard }) => dashboard.uid)
    expect(new Set(uids).size).toBe(dashboards.length)
    for (const { dashboard } of dashboards) expect(dashboard.title).toMatch(/^Pulse \/ /)
  })

  it('aim every query at a provisioned data source, with PromQL for Prometheus and SQL for ClickHouse', () => {
    const provisioned = parse(readFileSync(join(ROOT, 'infra/grafana/provisioning/datasources/pulse.yml'), 'utf8')) as { datasources: { uid: string }[] }
    expect(provisioned.datasources.map((source) => source.uid).sort()).toEqual([CLICKHOUSE_UID, PROMETHEUS_UID].sort())
    expect(queries.length).toBeGreaterThan(20)
    for (const query of queries) {
      const where = `${query.dashboard} / ${query.panel}`
      expect([PROMETHEUS_UID, CLICKHOUSE_UID], where).toContain(query.datasourceUid)
      if (query.datasourceUid === PROMETHEUS_UID) expect(query.promql?.trim(), where).toBeTruthy()
      else expect(query.sql?.trim(), where).toBeTruthy()
    }
  })

  it('use only ClickHouse macros the checks expand, and tables that exist now', () => {
    // qoe_1m, engagement_1m and playback_sessions arrive with the event-time work; panels on them
    // come with it. Until then QoE and engagement read client_events and client_events_1m.
    const existing = new Set(['client_events', 'client_events_1m', 'network_flows', 'flows_1m', 'dead_letters'])
    for (const query of queries.filter((candidate) => candidate.sql !== undefined)) {
      const sql = query.sql ?? ''
      expect(() => expandClickHouseMacros(sql, RANGE), `${query.dashboard} / ${query.panel}`).not.toThrow()
      for (const match of sql.matchAll(/\bpulse\.(\w+)/g)) expect(existing, `${query.panel} reads pulse.${match[1] ?? ''}`).toContain(match[1])
    }
  })

  it('expand $__timeFilter and $__timeInterval as the ClickHouse data source does', () => {
    const sql = 'SELECT $__timeInterval(event_time) AS time, count() FROM t WHERE $__timeFilter(event_time) AND x > $__fromTime GROUP BY time'
    expect(expandClickHouseMacros(sql, RANGE)).toBe(
      'SELECT toStartOfInterval(toDateTime(event_time), INTERVAL 60 second) AS time, count() FROM t WHERE event_time >= toDateTime(1700000000) AND event_time <= toDateTime(1700003600) AND x > toDateTime(1700000000) GROUP BY time',
    )
    expect(() => expandClickHouseMacros('SELECT $__unknownMacro(x)', RANGE)).toThrow(/unsupported/)
  })
})
