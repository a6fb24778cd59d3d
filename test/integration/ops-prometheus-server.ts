// A real Prometheus (Debian's package, installed by infra/prometheus/install.ts if missing) for the
// checks, run as a child process with its own config, data dir and free port. Its config is the
// shipped infra/prometheus/prometheus.yml with only what cannot hold here changed: Pulse's jobs keep
// their names and settings but scrape one local target (instead of the compose network's DNS), every
// second, and the other jobs (ClickHouse, Prometheus itself) are dropped.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { freePort } from '../../infra/ports.ts'
import { ensurePrometheus } from '../../infra/prometheus/install.ts'
import { pollUntil } from '../helpers/services.ts'
import { stopChild } from '../../infra/child-process.ts'

export const PROMETHEUS_DIR = fileURLToPath(new URL('../../infra/prometheus/', import.meta.url))

interface PrometheusConfig {
  global?: Record<string, unknown>
  rule_files?: string[]
  scrape_configs: ({ job_name: string } & Record<string, unknown>)[]
}

/** The shipped config, pointed at `target` (host:port of a Pulse role) and sped up for a test. */
export function testConfig(target: string, shipped = readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')): PrometheusConfig {
  const config = parse(shipped) as PrometheusConfig
  const pulseJobs = config.scrape_configs.filter((job) => job.job_name.startsWith('pulse-'))
  if (pulseJobs.length === 0) throw new Error('the shipped Prometheus config has no pulse-* scrape job')
  return {
    ...config,
    global: { ...config.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: (config.rule_files ?? []).map((file) => join(PROMETHEUS_DIR, file)),
    scrape_configs: pulseJobs.map((job) => {
      const { dns_sd_configs: _dns, static_configs: _static, ...rest } = job
      return { ...rest, static_configs: [{ targets: [target] }] }
    }),
  }
}

/** An HTTP API answer; `data` is shaped by the endpoint asked. */
export interface ApiAnswer {
  status: string
  data: unknown
  error?: string
}

export interface PrometheusServer {
  url: string
  api(path: string, params?: Record<string, string>): Promise<ApiAnswer>
  stop(): Promise<void>
}

export async function startPrometheus(target: string): Promise<PrometheusServer> {
  const { prometheus } = await ensurePrometheus()
  const dir = mkdtempSync(join(tmpdir(), 'pulse-prometheus-'))
  const configFile = join(dir, 'prometheus.yml')
  writeFileSync(configFile, stringify(testConfig(target)))
  const port = await freePort()
  const child = spawn(
    prometheus,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)))
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    await stopChild(child)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await pollUntil(
      () => fetch(`${url}/-/ready`).then((response) => response.ok, () => false),
      (ready) => ready || child.exitCode !== null,
      { what: 'Prometheus to be ready', timeoutMs: 30_000 },
    )
    if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}: ${stderr}`)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url,
    stop,
    api: async (path, params = {}) => {
      const response = await fetch(`${url}${path}?${new URLSearchParams(params).toString()}`)
      return (await response.json()) as ApiAnswer
    },
  }
}

