// A real Prometheus, configured from the shipped infra/prometheus (scrape jobs and alert rules),
// scrapes a running `pulse run`: the pipeline's series come back through the query API, the alert
// rules evaluate on them without error, and every metric a Grafana dashboard or an alert names is one
// this Pulse exports (read from its own /metrics, not from a list kept by hand). Each PromQL
// expression is also handed to Prometheus, which answers 400 to one that does not parse.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardQueries, PROMETHEUS_UID } from '../../infra/grafana/dashboards.ts'
import { exportedNames, metricNames, SCRAPE_SERIES, substituteGrafanaVariables } from '../../infra/prometheus/promql.ts'
import { spawnPulse, type RunningPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'
import { PROMETHEUS_DIR, startPrometheus, type PrometheusServer } from './ops-prometheus-server.ts'

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}
interface Rule {
  name: string
  health: string
  lastError?: string
  lastEvaluation: string
  state?: string
}

let dataDir: string
let running: RunningPulse
let metricsUrl: string
let prometheus: PrometheusServer

async function instant(expr: string): Promise<Sample[]> {
  const answer = await prometheus.api('/api/v1/query', { query: expr })
  if (answer.status !== 'success') throw new Error(`${expr}: ${answer.error ?? answer.status}`)
  return (answer.data as { result: Sample[] }).result
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pulse-prom-'))
  running = spawnPulse(['run', '--data-dir', dataDir, '--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0', '--duration', '240', '--window-seconds', '10'])
  const runFile = join(dataDir, 'pulse-run.json')
  // --duration outlasts the tests (afterAll stops it); windows of 10 s close while they run.
  // The run file appears when the run claims the directory; its ports once it serves them.
  const servedPort = (): number => (existsSync(runFile) ? (JSON.parse(readFileSync(runFile, 'utf8')) as { metricsPort: number }).metricsPort : 0)
  await pollUntil(() => Promise.resolve(servedPort() > 0 || running.child.exitCode !== null), Boolean, { what: 'pulse run to serve', timeoutMs: 45_000 })
  const metricsPort = servedPort()
  if (metricsPort === 0) throw new Error(`pulse run exited early:\n${running.output()}`)
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
  prometheus = await startPrometheus(`127.0.0.1:${metricsPort}`)
}, 90_000)

afterAll(async () => {
  // Whatever beforeAll got to start is stopped, even if it failed half-way.
  await (prometheus as PrometheusServer | undefined)?.stop()
  if ((running as RunningPulse | undefined)?.child.exitCode === null) {
    running.child.kill('SIGTERM')
    await running.exited
  }
  rmSync(dataDir, { recursive: true, force: true })
})

describe('Prometheus on the shipped config, scraping pulse run', () => {
  it('returns the pipeline\'s series through the query API, with traffic where traffic flows', async () => {
    const tables = ['client_events', 'network_flows', 'client_events_1m', 'flows_1m']
    const rows = await pollUntil(
      () => instant('sum by (table) (rate(pulse_sink_rows_total[30s])) > 0'),
      (result) => tables.every((table) => result.some((sample) => sample.metric.table === table)),
      // client_events_1m is written once per partition when a window closes (10 s windows here).
      { what: `rows written to ${tables.join(', ')} in Prometheus`, timeoutMs: 90_000 },
    )
    expect(rows.map((sample) => sample.metric.table)).toEqual(expect.arrayContaining(tables))
    expect((await instant('up{job=~"pulse-.+"} == 1')).map((sample) => sample.metric.job).sort()).toEqual(['pulse-collect', 'pulse-process', 'pulse-produce'])
    // The list: rates for what moves with traffic, a series for the gauges.
    const flowing = [
      'pulse_produced_records_total', 'pulse_source_records_total', 'pulse_stage_records_in_total', 'pulse_stage_records_out_total',
      'pulse_freshness_seconds_count', 'pulse_sink_batch_rows_count', 'pulse_sink_insert_duration_seconds_count',
    ]
    const stalled: string[] = []
    for (const name of flowing) if ((await instant(`sum(rate(${name}[30s])) > 0`)).length === 0) stalled.push(name)
    expect(stalled).toEqual([])
    for (const name of ['pulse_sink_buffered_rows', 'pulse_kinesis_millis_behind_latest', 'nodejs_eventloop_lag_seconds', 'pulse_build_info']) {
      expect((await instant(name)).length, name).toBeGreaterThan(0)
    }
  })

  it('evaluates every alert rule on the scraped data without error, with no role alert active', async () => {
    type Groups = { groups: { rules: Rule[] }[] }
    const rules = await pollUntil(
      async () => ((await prometheus.api('/api/v1/rules')).data as Groups).groups.flatMap((group) => group.rules),
      (all) => all.length > 0 && all.every((rule) => !rule.lastEvaluation.startsWith('0001-')),
      { what: 'every rule evaluated once', timeoutMs: 20_000 },
    )
    const shipped = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] }
    expect(rules.map((rule) => rule.name).sort()).toEqual(shipped.groups.flatMap((group) => group.rules.map((rule) => rule.alert)).sort())
    expect(rules.filter((rule) => rule.health !== 'ok').map((rule) => `${rule.name}: ${rule.lastError ?? rule.health}`)).toEqual([])
    expect(rules.filter((rule) => rule.name.startsWith('PulseRole') && rule.state !== 'inactive').map((rule) => rule.name)).toEqual([])
  })

  it('names in dashboards and alerts only metrics this Pulse exports, in PromQL that Prometheus parses', async () => {
    const exported = exportedNames(await (await fetch(metricsUrl)).text())
    expect(exported.size).toBeGreaterThan(30)
    const shipped = parse(readFileSync(join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }
    const expressions = [
      ...dashboardQueries()
        .filter((query) => query.datasourceUid === PROMETHEUS_UID)
        .map((query) => ({ where: `${query.dashboard} / ${query.panel}`, expr: substituteGrafanaVariables(query.promql ?? '') })),
      ...shipped.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
    ]
    expect(expressions.length).toBeGreaterThan(20)
    const problems: string[] = []
    for (const { where, expr } of expressions) {
      const answer = await prometheus.api('/api/v1/query', { query: expr })
      if (answer.status !== 'success') problems.push(`${where}: Prometheus refused it: ${answer.error ?? ''}`)
      const names = metricNames(expr)
      if (names.length === 0) problems.push(`${where}: names no metric`)
      for (const name of names) if (!exported.has(name) && !SCRAPE_SERIES.has(name)) problems.push(`${where}: ${name} is not exported by Pulse`)
    }
    expect(problems).toEqual([])
  })
})
