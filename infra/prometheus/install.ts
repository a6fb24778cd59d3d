// Makes Debian's `prometheus` package (the server and promtool) available for the checks that run
// here: `npm run prometheus:install`, or ensurePrometheus() from a test's setup. Idempotent: when both
// binaries are on PATH it returns at once. It never starts the Debian service: a policy-rc.d that
// denies every start is in place while dpkg configures the package, and the tests run the binary
// themselves with their own config, data dir and port.
import { execFile } from 'node:child_process'
import { accessSync, constants, existsSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface PrometheusBinaries {
  prometheus: string
  promtool: string
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d'
/** Debian's invoke-rc.d asks this script before starting a service; 101 means "not allowed". */
const DENY_ALL_STARTS = '#!/bin/sh\n# Written by Pulse infra/prometheus/install.ts while installing prometheus; removed afterwards.\nexit 101\n'
/** A second installer waits for dpkg's lock instead of failing (two test files may ask at once). */
const APT_OPTIONS = ['-o', 'DPkg::Lock::Timeout=300', '-q', '-y', '--no-install-recommends']
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }

export function findBinaries(): PrometheusBinaries | undefined {
  const prometheus = onPath('prometheus')
  const promtool = onPath('promtool')
  return prometheus !== undefined && promtool !== undefined ? { prometheus, promtool } : undefined
}

export async function ensurePrometheus(log: (line: string) => void = () => undefined): Promise<PrometheusBinaries> {
  const found = findBinaries()
  if (found !== undefined) return found
  if (process.getuid?.() !== 0) throw new Error('prometheus is not installed and installing it needs root: run `apt-get install -y prometheus`')
  log('installing Debian package prometheus (server and promtool)...')
  await aptInstall(log)
  const installed = findBinaries()
  if (installed === undefined) throw new Error('apt-get installed prometheus but prometheus/promtool are still not on PATH')
  return installed
}

async function aptInstall(log: (line: string) => void): Promise<void> {
  // Lists may be missing on a fresh machine: refresh them only when apt knows no candidate.
  const policy = await run('apt-cache', ['policy', 'prometheus'], { env: APT_ENV })
  if (!/Candidate:\s*\d/.test(policy.stdout)) {
    log('apt-get update (no candidate for prometheus yet)')
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', '-q', 'update'], { env: APT_ENV, maxBuffer: 16 * 1024 * 1024 })
  }
  const ownPolicy = !existsSync(POLICY_RC_D)
  if (ownPolicy) writeFileSync(POLICY_RC_D, DENY_ALL_STARTS, { mode: 0o755 })
  try {
    await run('apt-get', ['install', ...APT_OPTIONS, 'prometheus'], { env: APT_ENV, maxBuffer: 16 * 1024 * 1024 })
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true })
  }
}

function onPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin'])
  for (const dir of dirs) {
    if (dir === '') continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now()
  const binaries = await ensurePrometheus((line) => {
    console.error(line)
  })
  const { stdout } = await run(binaries.promtool, ['--version'])
  console.log(`${binaries.prometheus}\n${binaries.promtool}\n${stdout.split('\n')[0] ?? ''} (${Date.now() - started} ms)`)
}
