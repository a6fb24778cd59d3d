// The metric-name scan that lets the checks compare dashboards and alerts with what Pulse exports.
import { describe, expect, it } from 'vitest'
import { exportedNames, metricNames, substituteGrafanaVariables } from '../../../infra/prometheus/promql.ts'

describe('metricNames', () => {
  it('finds the selected metrics, not functions, aggregations, keywords, labels or durations', () => {
    const expr = `histogram_quantile(0.95, sum by (le, table) (rate(pulse_freshness_seconds_bucket{table!="ip_assignments"}[5m] offset 1m))) > 30
      and on (table) sum without (instance) (pulse_sink_rows_total) / ignoring (x) group_left (job) count(up{job=~"pulse-.+"}) * 1e3`
    expect(metricNames(expr)).toEqual(['pulse_freshness_seconds_bucket', 'pulse_sink_rows_total', 'up'])
  })

  it('reads label values as strings, never as names, and sees {__name__="…"} selectors', () => {
    expect(metricNames('label_replace(pulse_build_info, "v", "$1", "version", "(.*)")')).toEqual(['pulse_build_info'])
    expect(metricNames('{__name__="nodejs_eventloop_lag_seconds", job="pulse-process"}')).toEqual(['nodejs_eventloop_lag_seconds'])
  })

  it('accepts Grafana\'s interval variables once substituted', () => {
    const expr = substituteGrafanaVariables('sum(rate(pulse_dead_letters_total[$__rate_interval]))')
    expect(expr).toBe('sum(rate(pulse_dead_letters_total[60s]))')
    expect(metricNames(expr)).toEqual(['pulse_dead_letters_total'])
  })
})

describe('exportedNames', () => {
  it('expands histogram and summary families into the series Prometheus stores', () => {
    const exposition = [
      '# HELP pulse_sink_rows_total Rows acknowledged by ClickHouse.',
      '# TYPE pulse_sink_rows_total counter',
      'pulse_sink_rows_total{table="client_events"} 3',
      '# TYPE pulse_freshness_seconds histogram',
      '# TYPE nodejs_gc_duration summary',
      '# TYPE pulse_kafka_consumer_lag_records gauge',
    ].join('\n')
    expect([...exportedNames(exposition)].sort()).toEqual([
      'nodejs_gc_duration',
      'nodejs_gc_duration_count',
      'nodejs_gc_duration_sum',
      'pulse_freshness_seconds_bucket',
      'pulse_freshness_seconds_count',
      'pulse_freshness_seconds_sum',
      'pulse_kafka_consumer_lag_records',
      'pulse_sink_rows_total',
    ])
  })
})
