// The image leaves chDB out (npm ci --omit=dev --omit=optional, infra/docker/Dockerfile), so
// `pulse process --clickhouse URL` must load, migrate and write without it. This builds that install
// in a temporary directory, the image's way: the lockfile installed without dev and optional
// packages, and dist/ compiled by tsc beside it. Its ClickHouse is a real engine (chDB in this test
// process) served on ClickHouse's HTTP interface, and records come from `pulse produce` on the shared
// Kinesis emulator; the child must consume them into ClickHouse, and fail in one line where it would
// need the embedded engine.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort } from '../../infra/ports.ts'
import { copyAssets } from '../../infra/build/assets.ts'
import { serveEmbeddedClickHouse, type EmbeddedHttpServer } from '../../sinks/clickhouse/embedded-http.ts'
import { pulse } from '../helpers/cli.ts'
import { embeddedClickHouse, pollUntil, testLogger, uniqueName } from '../helpers/services.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

let install: string
let server: EmbeddedHttpServer

/** The image's runtime stage, outside Docker: production packages without the optional ones, and dist/. */
async function buildInstall(directory: string): Promise<void> {
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(directory, file))
  await run('npm', ['ci', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund'], { cwd: directory })
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(directory, 'dist')], { cwd: ROOT })
  copyAssets(ROOT, join(directory, 'dist'))
}

interface Started {
  exited: Promise<{ code: number; output: string }>
  hasExited: () => boolean
  kill: () => void
}

function startPulse(args: readonly string[]): Started {
  const child = execFile(process.execPath, [join(install, 'dist/cli/pulse.js'), ...args], { cwd: install, maxBuffer: 16 * 1024 * 1024 })
  let output = ''
  child.stdout?.on('data', (chunk: string) => (output += chunk))
  child.stderr?.on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<{ code: number; output: string }>((resolve) => child.once('exit', (code) => resolve({ code: code ?? -1, output })))
  return { exited, hasExited: () => child.exitCode !== null || child.signalCode !== null, kill: () => child.kill('SIGTERM') }
}

describe('pulse process --clickhouse URL in an install without chDB', () => {
  beforeAll(async () => {
    install = mkdtempSync(join(tmpdir(), 'pulse-no-chdb-'))
    const embedded = embeddedClickHouse().clickhouse.embedded
    if (embedded === undefined) throw new Error('expected the embedded engine')
    ;[server] = await Promise.all([serveEmbeddedClickHouse(embedded, 0, testLogger().logger, { access: 'unrestricted' }), buildInstall(install)])
  }, 300_000)

  afterAll(async () => {
    await (server as EmbeddedHttpServer | undefined)?.close()
    rmSync(install, { recursive: true, force: true })
  })

  it('has neither chdb nor its engine library installed', () => {
    expect(existsSync(join(install, 'node_modules/chdb'))).toBe(false)
    expect(existsSync(join(install, 'node_modules/@chdb'))).toBe(false)
    expect(existsSync(join(install, 'node_modules/@clickhouse/client'))).toBe(true)
  })

  it('consumes records into a ClickHouse server over HTTP', async () => {
    const database = uniqueName('lean')
    const prefix = uniqueName('lean').replaceAll('_', '-')
    const kinesis = ['--kinesis-endpoint', inject('kinesisEndpoint'), '--dynamodb-endpoint', inject('dynamodbEndpoint'), '--stream-prefix', prefix]
    await pulse(['produce', ...kinesis, '--duration', '2', '--client-rate', '300', '--flow-rate', '50', '--metrics-port', '0'])
    const processing = startPulse([
      'process', ...kinesis, '--clickhouse', `http://127.0.0.1:${server.port}`, '--database', database,
      '--metrics-port', String(await freePort()), '--flush-interval-ms', '200',
    ])
    const { client } = embeddedClickHouse().clickhouse
    const count = async (): Promise<number> => {
      // A child that died (say, on a missing module) fails the test now instead of at the poll's timeout.
      if (processing.hasExited()) throw new Error(`pulse process exited early:\n${(await processing.exited).output.slice(-2000)}`)
      try {
        const result = await client.query({ query: `SELECT count() AS n FROM ${database}.client_events`, format: 'JSONEachRow' })
        return Number((await result.json<{ n: string }>())[0]?.n ?? 0)
      } catch {
        return 0
      }
    }
    try {
      await pollUntil(count, (rows) => rows > 0, { what: 'client events written by the chDB-less install', timeoutMs: 60_000 })
    } finally {
      processing.kill()
    }
    const { code, output } = await processing.exited
    expect(output).not.toMatch(/Cannot find module|embedded ClickHouse engine needs/)
    expect(code, output.slice(-2000)).toBe(0)
  })

  it('refuses the embedded engine in one line that says how to get it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'pulse-no-chdb-data-'))
    try {
      const { code, output } = await startPulse(['migrate', '--data-dir', data]).exited
      expect(code).not.toBe(0)
      expect(output).toMatch(/embedded ClickHouse engine needs the optional package chdb/)
    } finally {
      rmSync(data, { recursive: true, force: true })
    }
  })
})
