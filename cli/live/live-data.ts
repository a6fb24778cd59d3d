// What the live page shows, as one JSON document a second: counters from this process's metrics
// registry (the page turns them into rates) and the last minutes of quality of experience from
// ClickHouse, through the `qoe-by-cdn` report's own SQL, so the page and `pulse report` agree.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Registry } from 'prom-client'
import { bindReport, loadReports, type Report } from '../../sinks/clickhouse/reports/library.ts'

export const LIVE_WINDOW_SECONDS = 10 * 60
export const LIVE_REPORT = 'qoe-by-cdn'

export interface LiveData {
  at: number
  /** Start of the QoE window, unix seconds: the report's `since` parameter. */
  since: number
  stages: Record<string, number>
  produced: number
  rowsWritten: number
  freshnessSeconds: Record<string, number>
  lagSeconds: number | null
  lagRecords: number | null
  deadLetters: Record<string, number>
  qoe: Record<string, unknown>[]
}

type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number]

export function liveData(registry: Registry, clickhouse: ClickHouseClient, database: string): () => Promise<LiveData> {
  const report = loadReports().find((candidate) => candidate.name === LIVE_REPORT) as Report
  return async () => {
    const at = Date.now()
    const since = Math.floor(at / 1000) - LIVE_WINDOW_SECONDS
    const metrics = new Map((await registry.getMetricsAsJSON()).map((metric) => [metric.name, metric]))
    const bound = bindReport(report, database, { since: String(since) })
    const result = await clickhouse.query({ query: bound.sql, query_params: bound.params, format: 'JSONEachRow' })
    return {
      at,
      since,
      stages: sumBy(metrics.get('pulse_stage_records_out_total'), 'stage'),
      produced: total(metrics.get('pulse_produced_records_total')),
      rowsWritten: total(metrics.get('pulse_sink_rows_total')),
      freshnessSeconds: meanBy(metrics.get('pulse_freshness_seconds'), 'table'),
      lagSeconds: maxOf(metrics.get('pulse_kinesis_millis_behind_latest'), 1 / 1000),
      lagRecords: maxOf(metrics.get('pulse_kafka_consumer_lag_records'), 1),
      deadLetters: { ...sumBy(metrics.get('pulse_dead_letters_total'), 'stage', 'reason'), ...collectRejections(metrics.get('pulse_collect_events_total')) },
      qoe: await result.json<Record<string, unknown>>(),
    }
  }
}

function sumBy(metric: MetricJson | undefined, ...labels: string[]): Record<string, number> {
  const sums: Record<string, number> = {}
  for (const value of metric?.values ?? []) {
    const key = labels.map((label) => String(value.labels[label] ?? '')).join(' / ')
    sums[key] = (sums[key] ?? 0) + value.value
  }
  return sums
}

/** The collector's refusals are dead letters of stage collect, written by the collector itself. */
function collectRejections(metric: MetricJson | undefined): Record<string, number> {
  const sums: Record<string, number> = {}
  for (const value of metric?.values ?? []) {
    if (value.labels.result !== 'rejected') continue
    const key = `collect / ${String(value.labels.reason ?? '')}`
    sums[key] = (sums[key] ?? 0) + value.value
  }
  return sums
}

function total(metric: MetricJson | undefined): number {
  return (metric?.values ?? []).reduce((sum, value) => sum + value.value, 0)
}

function maxOf(metric: MetricJson | undefined, scale: number): number | null {
  const values = (metric?.values ?? []).map((value) => value.value * scale)
  return values.length === 0 ? null : Math.max(...values)
}

/** Mean of a histogram per label value, from its _sum and _count series. */
function meanBy(metric: MetricJson | undefined, label: string): Record<string, number> {
  const sums: Record<string, number> = {}
  const counts: Record<string, number> = {}
  for (const value of metric?.values ?? []) {
    const key = String(value.labels[label] ?? '')
    const name = (value as { metricName?: string }).metricName ?? ''
    if (name.endsWith('_sum')) sums[key] = value.value
    if (name.endsWith('_count')) counts[key] = value.value
  }
  return Object.fromEntries(Object.entries(sums).filter(([key]) => (counts[key] ?? 0) > 0).map(([key, sum]) => [key, sum / (counts[key] ?? 1)]))
}
