// Every reference between the compose stack's parts resolves: Pulse's --brokers/--clickhouse point at
// services and ports that listen (and Kafka advertises the address clients are given), Prometheus's
// targets and Grafana's data sources name services and their ports, and the ClickHouse users and
// password variables the clients log in with are the ones the server defines.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { pulseUser, pulseUsers } from '../../../infra/clickhouse/users.ts'
import { ROOT, environment, flagValue, hostPort, listeningPorts, loadCompose, words } from './compose.ts'

const compose = loadCompose()
const DEFAULT_METRICS_PORT = 9464

interface ScrapeConfig {
  job_name: string
  static_configs?: { targets: string[] }[]
  dns_sd_configs?: { names: string[]; port: number }[]
}

function pulseRoles(): [string, string[]][] {
  return Object.entries(compose.services)
    .filter(([, service]) => service.build !== undefined && words(service.entrypoint).length === 0)
    .map(([name, service]) => [name, words(service.command)])
}

function expectListening(from: string, address: string): void {
  const { host, port } = hostPort(address)
  const target = compose.services[host]
  expect(target, `${from} refers to ${address}, but there is no service ${host}`).toBeDefined()
  if (target !== undefined) expect([...listeningPorts(target)], `${from} refers to ${address}, but ${host} does not listen on ${port}`).toContain(port)
}

describe('docker-compose.yml references', () => {
  it('points Pulse roles at brokers, ClickHouse and Kinesis that exist and listen there', () => {
    const roles = pulseRoles()
    expect(roles.map(([name]) => name).sort()).toEqual(['pulse-collect', 'pulse-process', 'pulse-process-cluster', 'pulse-produce'])
    for (const [name, command] of roles) {
      const env = environment(compose.services[name] ?? {})
      const brokers = flagValue(command, '--brokers') ?? env.PULSE_KAFKA_BROKERS
      if (flagValue(command, '--source') === 'kafka') expect(brokers, `${name} uses Kafka but names no brokers`).toBeDefined()
      for (const broker of (brokers ?? '').split(',').filter((item) => item !== '')) {
        expectListening(name, broker)
        // A client is redirected to the advertised listener, so it must be the address used here.
        const advertised = environment(compose.services[hostPort(broker).host] ?? {}).KAFKA_ADVERTISED_LISTENERS ?? ''
        expect(advertised.split(',').map((listener) => listener.replace(/^\w+:\/\//, '')), `${broker} is not advertised by Kafka`).toContain(broker)
      }
      const clickhouse = flagValue(command, '--clickhouse') ?? env.PULSE_CLICKHOUSE_URL
      if (command[0] === 'process') expect(clickhouse, `${name} must write to the compose ClickHouse, not an embedded engine`).toBeDefined()
      if (clickhouse !== undefined) expectListening(name, clickhouse)
      const kinesis = flagValue(command, '--kinesis-endpoint') ?? env.PULSE_KINESIS_ENDPOINT
      if (kinesis !== undefined) expectListening(name, kinesis)
    }
  })

  it('serves each role\'s /metrics on the port it exposes, and checks health there', () => {
    for (const [name, command] of pulseRoles()) {
      const service = compose.services[name] ?? {}
      const port = Number(flagValue(command, '--metrics-port') ?? environment(service).PULSE_METRICS_PORT ?? DEFAULT_METRICS_PORT)
      expect([...listeningPorts(service)], `${name} metrics port`).toContain(port)
      const test = words(service.healthcheck?.test)
      expect(test.join(' '), `${name} healthcheck`).toMatch(/healthcheck\.mjs \/(readyz|healthz)$/)
    }
  })

  it('has Prometheus scrape services and ports that exist, and load rule files that are mounted', () => {
    const prometheus = compose.services.prometheus
    expect(prometheus).toBeDefined()
    const configPath = join(ROOT, 'infra/prometheus/prometheus.yml')
    const config = parse(readFileSync(configPath, 'utf8')) as { rule_files?: string[]; scrape_configs: ScrapeConfig[] }
    const mounted = (prometheus?.volumes ?? []).map(String).find((volume) => volume.startsWith('./infra/prometheus:'))
    expect(mounted, 'infra/prometheus is mounted into the Prometheus container').toBeDefined()
    for (const rules of config.rule_files ?? []) expect(readFileSync(join(ROOT, 'infra/prometheus', rules), 'utf8')).toContain('groups:')
    const jobs = new Map(config.scrape_configs.map((job) => [job.job_name, job]))
    // The default stack's roles; the cluster profile's processors are not scraped by the shipped config.
    for (const [name] of pulseRoles().filter(([role]) => compose.services[role]?.profiles === undefined)) expect(jobs.has(name), `a scrape job named after ${name}`).toBe(true)
    for (const job of config.scrape_configs) {
      for (const target of job.static_configs?.flatMap((group) => group.targets) ?? []) {
        if (!target.startsWith('localhost:')) expectListening(`job ${job.job_name}`, target)
      }
      for (const sd of job.dns_sd_configs ?? []) for (const name of sd.names) expectListening(`job ${job.job_name}`, `${name}:${sd.port}`)
    }
  })

  it('gives Grafana data sources that reach Prometheus and ClickHouse as the analyst, and mounts its dashboards where it looks', () => {
    const grafana = compose.services.grafana ?? {}
    const datasources = parse(readFileSync(join(ROOT, 'infra/grafana/provisioning/datasources/pulse.yml'), 'utf8')) as {
      datasources: { uid: string; type: string; url?: string; jsonData?: Record<string, unknown>; secureJsonData?: Record<string, string> }[]
    }
    const byType = new Map(datasources.datasources.map((source) => [source.type, source]))
    expectListening('Grafana Prometheus data source', byType.get('prometheus')?.url ?? '')
    const clickhouse = byType.get('grafana-clickhouse-datasource')
    expectListening('Grafana ClickHouse data source', `${String(clickhouse?.jsonData?.host)}:${String(clickhouse?.jsonData?.port)}`)
    const analyst = pulseUser(String(clickhouse?.jsonData?.username))
    expect(analyst.profile, 'Grafana logs in as a read-only profile').toBe('pulse_analyst')
    const passwordVariable = /^\$\{?(\w+)\}?$/.exec(clickhouse?.secureJsonData?.password ?? '')?.[1]
    expect(passwordVariable, 'the ClickHouse password comes from Grafana\'s environment').toBeDefined()
    expect(environment(grafana)[passwordVariable ?? ''], 'Grafana gets the analyst password from the same variable the server reads').toBe(
      environment(compose.services.clickhouse ?? {})[analyst.passwordEnv ?? ''],
    )
    const provider = parse(readFileSync(join(ROOT, 'infra/grafana/provisioning/dashboards/pulse.yml'), 'utf8')) as { providers: { options: { path: string } }[] }
    const dashboardsMount = (grafana.volumes ?? []).map(String).find((volume) => volume.startsWith('./infra/grafana/dashboards:'))
    expect(dashboardsMount?.split(':')[1]).toBe(provider.providers[0]?.options.path)
  })

  it('logs Pulse into ClickHouse as pulse_writer with the password the server reads for it', () => {
    const server = environment(compose.services.clickhouse ?? {})
    for (const user of pulseUsers()) expect(server[user.passwordEnv ?? ''], `the server defines ${user.passwordEnv} for ${user.name}`).toBeTruthy()
    for (const [name, command] of pulseRoles().filter(([, command]) => command[0] === 'process')) {
      const user = pulseUser(flagValue(command, '--clickhouse-user') ?? environment(compose.services[name] ?? {}).PULSE_CLICKHOUSE_USER ?? 'default')
      expect(user.name).toBe('pulse_writer')
      // The server this role writes to (the single one, or a server of the cluster profile).
      const target = environment(compose.services[hostPort(flagValue(command, '--clickhouse') ?? '').host] ?? {})
      expect(environment(compose.services[name] ?? {}).PULSE_CLICKHOUSE_PASSWORD, `${name} password`).toBe(target[user.passwordEnv ?? ''])
    }
  })
})
