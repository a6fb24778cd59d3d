// /readyz tells an orchestrator the truth: `pulse run` writing to a ClickHouse over HTTP is ready
// while inserts succeed, should turn unready (503, naming the sink) when ClickHouse goes away while
// /healthz stays alive, and ready again once ClickHouse is back. ClickHouse here is a real engine
// (chDB) served on ClickHouse's HTTP interface from this process, so it can be taken away and brought
// back on the same port. `pulse produce` serves the same endpoints. Checkpoint writes are retried like
// inserts (ClickHouseSink.retrying), so the outage holds the pipeline back instead of ending it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest'
import { freePort } from '../../infra/ports.ts'
import type { ChdbConnection } from 'chdb/connection'
import { serveEmbeddedClickHouse, type EmbeddedHttpServer } from '../../sinks/clickhouse/embedded-http.ts'
import { spawnPulse, type RunningPulse } from '../helpers/cli.ts'
import { embeddedClickHouse, pollUntil, testLogger, uniqueName } from '../helpers/services.ts'

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
    return { status: response.status, body: await response.text() }
  } catch {
    return { status: 0, body: '' }
  }
}

/** The sum of a metric's samples in a /metrics text. */
function total(exposition: string, name: string): number {
  return [...exposition.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0)
}

async function stop(child: RunningPulse): Promise<void> {
  if (child.child.exitCode !== null || child.child.signalCode !== null) return
  child.child.kill('SIGTERM')
  const timer = setTimeout(() => child.child.kill('SIGKILL'), 20_000)
  await child.exited
  clearTimeout(timer)
}

let clickhousePort: number
let engine: ChdbConnection
let server: EmbeddedHttpServer
let running: RunningPulse
let ops: string
let dataDir: string
const logger = testLogger().logger

function what(state: string, timeoutMs = 40_000): { what: string; timeoutMs: number } {
  return { what: `${state}; pulse output:\n${running.output().slice(-2000)}`, timeoutMs }
}

describe('/readyz of pulse run against ClickHouse over HTTP', () => {
  beforeAll(async () => {
    const embedded = embeddedClickHouse().clickhouse.embedded
    if (embedded === undefined) throw new Error('expected the embedded engine')
    engine = embedded
    server = await serveEmbeddedClickHouse(engine, 0, logger, { access: 'unrestricted' })
    clickhousePort = server.port
    dataDir = mkdtempSync(join(tmpdir(), 'pulse-readyz-'))
    ops = `http://127.0.0.1:${await freePort()}`
    running = spawnPulse([
      'run', '--clickhouse', `http://127.0.0.1:${clickhousePort}`, '--database', uniqueName('readyz'),
      '--data-dir', dataDir, '--metrics-port', new URL(ops).port, '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0',
      '--flush-interval-ms', '200', '--duration', '55',
    ])
  })

  afterAll(async () => {
    // Whatever beforeAll got to start is stopped, even if it failed half-way.
    const started = running as RunningPulse | undefined
    if (started !== undefined) await stop(started)
    await (server as EmbeddedHttpServer | undefined)?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('is ready while ClickHouse acknowledges inserts', async () => {
    await pollUntil(() => get(`${ops}/readyz`), (reply) => reply.status === 200, what('ready at start'))
    await pollUntil(async () => total((await get(`${ops}/metrics`)).body, 'pulse_sink_rows_total'), (rows) => rows > 0, what('rows written'))
  })

  it('turns 503 while ClickHouse is gone, stays alive, and is ready again once it is back', async () => {
    await server.close()
    const unready = await pollUntil(() => get(`${ops}/readyz`), (reply) => reply.status === 503, what('unready without ClickHouse', 15_000))
    expect(unready.body).toMatch(/not ready: .*sink/)
    expect((await get(`${ops}/healthz`)).status, 'alive while unready').toBe(200)
    server = await serveEmbeddedClickHouse(engine, clickhousePort, logger, { access: 'unrestricted' })
    await pollUntil(() => get(`${ops}/readyz`), (reply) => reply.status === 200, what('ready again with ClickHouse back'))
  })
})

describe('pulse produce', () => {
  it('serves /metrics, /healthz and /readyz too', async () => {
    const producerOps = `http://127.0.0.1:${await freePort()}`
    const producer = spawnPulse([
      'produce', '--source', 'kinesis', '--kinesis-endpoint', inject('kinesisEndpoint'), '--stream-prefix', uniqueName('produce').replaceAll('_', '-'),
      '--metrics-port', new URL(producerOps).port, '--duration', '40',
    ])
    onTestFinished(() => stop(producer))
    const produced = await pollUntil(
      async () => total((await get(`${producerOps}/metrics`)).body, 'pulse_produced_records_total'),
      (records) => records > 0,
      { what: `records produced; pulse output:\n${producer.output().slice(-2000)}`, timeoutMs: 40_000 },
    )
    expect(produced).toBeGreaterThan(0)
    expect((await get(`${producerOps}/healthz`)).status).toBe(200)
    expect((await get(`${producerOps}/readyz`)).status).toBe(200)
    // Like every role, it shows its progress and sums up when it stops.
    await pollUntil(() => Promise.resolve(producer.output()), (text) => /\[\s+\d+s\] \| produced [\d,]+\/s \| total [\d,]+ records/.test(text), { what: 'a status line' })
    await stop(producer)
    expect(producer.output()).toMatch(/Produced [\d,]+ records in [\d.]+ s onto /)
  })
})
