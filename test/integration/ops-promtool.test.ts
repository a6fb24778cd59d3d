// promtool (Debian's prometheus package, installed by infra/prometheus/install.ts if missing) accepts
// the shipped Prometheus config and alert rules, and the rules' unit tests pass: each alert fires on
// the series it is meant for and stays quiet on the look-alikes (infra/prometheus/rules.test.yml).
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensurePrometheus } from '../../infra/prometheus/install.ts'
import { PROMETHEUS_DIR } from './ops-prometheus-server.ts'

const run = promisify(execFile)
let promtool: string

async function promtoolSays(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(promtool, args, { cwd: PROMETHEUS_DIR })
  return stdout + stderr
}

beforeAll(async () => {
  promtool = (await ensurePrometheus()).promtool
}, 300_000)

describe('promtool on infra/prometheus', () => {
  it('checks the scrape config, with its rule files', async () => {
    const output = await promtoolSays('check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml'))
    expect(output).toMatch(/SUCCESS: 1 rule files found/)
    expect(output).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/)
  })

  it('checks the alert rules', async () => {
    expect(await promtoolSays('check', 'rules', join(PROMETHEUS_DIR, 'alerts.yml'))).toMatch(/SUCCESS: \d+ rules found/)
  })

  it('passes the alert rules\' unit tests', async () => {
    expect(await promtoolSays('test', 'rules', join(PROMETHEUS_DIR, 'rules.test.yml'))).toMatch(/SUCCESS/)
  })
})
