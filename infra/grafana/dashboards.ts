// Reads the provisioned Grafana dashboards and lists their queries by data source, so the checks can
// hand every PromQL expression to a real Prometheus and every ClickHouse query to a real ClickHouse.
// ClickHouse panels may use only the data source's macros expanded here; another macro fails the
// check rather than reaching Grafana untested.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const DASHBOARDS_DIR = fileURLToPath(new URL('./dashboards/', import.meta.url))
export const PROMETHEUS_UID = 'pulse-prometheus'
export const CLICKHOUSE_UID = 'pulse-clickhouse'

export interface DataSourceRef {
  type?: string
  uid?: string
}

export interface Target {
  refId?: string
  datasource?: DataSourceRef
  expr?: string
  rawSql?: string
}

export interface Panel {
  id?: number
  type?: string
  title?: string
  datasource?: DataSourceRef
  targets?: Target[]
  panels?: Panel[]
}

export interface Dashboard {
  uid?: string
  title?: string
  panels?: Panel[]
}

export interface DashboardQuery {
  dashboard: string
  panel: string
  datasourceUid: string | undefined
  promql: string | undefined
  sql: string | undefined
}

export function loadDashboards(directory = DASHBOARDS_DIR): { file: string; dashboard: Dashboard }[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(directory + file, 'utf8')) as Dashboard }))
}

/** Every target of every panel (rows' nested panels included), with the data source it resolves to. */
export function dashboardQueries(dashboards = loadDashboards()): DashboardQuery[] {
  const queries: DashboardQuery[] = []
  const visit = (file: string, panel: Panel): void => {
    for (const child of panel.panels ?? []) visit(file, child)
    for (const target of panel.targets ?? []) {
      queries.push({
        dashboard: file,
        panel: panel.title ?? `panel ${panel.id ?? '?'}`,
        datasourceUid: target.datasource?.uid ?? panel.datasource?.uid,
        promql: target.expr,
        sql: target.rawSql,
      })
    }
  }
  for (const { file, dashboard } of dashboards) for (const panel of dashboard.panels ?? []) visit(file, panel)
  return queries
}

/**
 * Expands the ClickHouse data source's macros the way the plugin does for a time range, so the SQL
 * can run on a real ClickHouse: $__timeFilter(col), $__timeInterval(col), $__fromTime, $__toTime,
 * $__interval_s.
 */
export function expandClickHouseMacros(sql: string, range: { fromSeconds: number; toSeconds: number; intervalSeconds: number }): string {
  const from = `toDateTime(${Math.floor(range.fromSeconds)})`
  const to = `toDateTime(${Math.floor(range.toSeconds)})`
  const expanded = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_all, column: string) => `${column.trim()} >= ${from} AND ${column.trim()} <= ${to}`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_all, column: string) => `toStartOfInterval(toDateTime(${column.trim()}), INTERVAL ${range.intervalSeconds} second)`)
    .replaceAll('$__fromTime', from)
    .replaceAll('$__toTime', to)
    .replaceAll('$__interval_s', String(range.intervalSeconds))
  const leftover = /\$\w+/.exec(expanded)
  if (leftover !== null) throw new Error(`unsupported Grafana macro or variable ${leftover[0]} in: ${sql}`)
  return expanded
}
