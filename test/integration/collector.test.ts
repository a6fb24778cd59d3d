// `pulse collect` end to end on the real engines: inside `pulse run` (embedded Kinesis emulator and
// ClickHouse), events sent over HTTP land in client_events exactly once even when the client sends
// its batch twice, each with the collector's received_at, a refused event is answered and lands in
// dead_letters with stage collect; alone,
// with its stream stopped, the collector answers 503 and acknowledges nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pulse, spawnPulse, type RunningPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'
import { startKinesisEmulator } from '../../infra/kinesis/emulator.ts'

const KEY = `wk_${randomUUID()}`

function clientEvents(prefix: string, count: number): Record<string, unknown>[] {
  const now = Date.now()
  return Array.from({ length: count }, (_, index) => ({
    event_id: `${prefix}-${index}`,
    event_type: 'title_click',
    event_time: now - 2000,
    client_send_time: now - 1000,
    device_id: 'web-device',
    device_type: 'web',
    profile_id: 'profile-1',
    app_session_id: `${prefix}-session`,
    title_id: 'title-1',
    country: 'NL',
    isp: 'KPN',
    row_id: 'row-1',
    row_position: index,
  }))
}

async function collectorUrl(running: RunningPulse): Promise<string> {
  const match = await pollUntil(
    () => Promise.resolve(/"url":"(http:\/\/127\.0\.0\.1:\d+\/v1\/events)"/.exec(running.output())),
    (found) => found !== null || running.child.exitCode !== null,
    { what: 'the collector to listen', timeoutMs: 90_000 },
  )
  if (match === null) throw new Error(`pulse exited before the collector listened:\n${running.output()}`)
  return match[1] as string
}

async function query(dataDir: string, sql: string): Promise<string> {
  return (await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', sql])).stdout.trim()
}

function post(url: string, body: unknown, key = KEY): Promise<Response> {
  return fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } })
}

describe('pulse collect', () => {
  it('inside pulse run: lands events exactly once, dead-letters refused ones with stage collect', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-collect-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const args = ['run', '--duration', '60', '--data-dir', dataDir, '--client-rate', '0', '--flow-rate', '0']
    const running = spawnPulse([...args, '--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0', '--collect-port', '0'], { PULSE_COLLECT_KEYS: `${KEY}=web-player` })
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })
    const url = await collectorUrl(running)
    const prefix = randomUUID()
    const batch = clientEvents(prefix, 5)
    const invalid = { ...clientEvents(prefix, 1)[0], event_id: `${prefix}-bad`, event_time: Date.UTC(1990, 0, 1) }

    const sentFrom = Date.now()
    const first = await post(url, [...batch, invalid])
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ accepted: 5, rejected: 1, errors: [{ index: 5, event_id: `${prefix}-bad`, reason: 'time_out_of_range' }] })
    // The client did not see the answer and sends the batch again: same event ids.
    expect((await post(url, batch)).status).toBe(200)
    const sentUntil = Date.now()
    expect((await post(url, batch, 'wrong-key')).status).toBe(401)
    const big = await fetch(url, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1), headers: { Authorization: `Bearer ${KEY}` } })
    expect(big.status).toBe(413)

    const landed = await pollUntil(
      () => query(dataDir, `SELECT count(), uniqExact(event_id) FROM pulse.client_events WHERE event_id LIKE '${prefix}-%'`).catch(() => ''),
      (text) => text === '5\t5',
      { what: 'the collected events in client_events', timeoutMs: 60_000 },
    )
    expect(landed).toBe('5\t5')
    // The collector's receipt time, within the posts' bounds, on every row; the client sent a second
    // after event_time by its own clock, so arrival minus client_send_time is at least that.
    const [earliest, latest, unstamped, minimumSkewMs] = (
      await query(dataDir, `SELECT min(toUnixTimestamp64Milli(received_at)), max(toUnixTimestamp64Milli(received_at)), countIf(isNull(received_at)), min(toUnixTimestamp64Milli(received_at) - toUnixTimestamp64Milli(client_send_time)) FROM pulse.client_events WHERE event_id LIKE '${prefix}-%'`)
    ).split('\t').map(Number)
    expect(earliest).toBeGreaterThanOrEqual(sentFrom)
    expect(latest).toBeLessThanOrEqual(sentUntil)
    expect(unstamped).toBe(0)
    expect(minimumSkewMs).toBeGreaterThanOrEqual(1000)
    const dead = await query(dataDir, `SELECT stage, reason, partition, JSONExtractString(base64Decode(raw_base64), 'event_id') FROM pulse.dead_letters WHERE stage = 'collect'`)
    expect(dead).toBe(`collect\ttime_out_of_range\tweb-player\t${prefix}-bad`)
    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
    // Nothing more landed after the stop (flushes do not repeat a block).
    expect(await query(dataDir, `SELECT count() FROM pulse.client_events WHERE event_id LIKE '${prefix}-%'`)).toBe('5')
  })

  it('alone, with its stream stopped: answers 503 with Retry-After', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-collect-alone-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const emulator = await startKinesisEmulator({ port: 0, persistDir: join(dataDir, 'kinesis') })
    onTestFinished(() => emulator.stop())
    const running = spawnPulse(
      ['collect', '--kinesis-endpoint', emulator.endpoint, '--stream-prefix', `c${Date.now().toString(36)}`, '--data-dir', dataDir, '--metrics-port', '0', '--collect-port', '0', '--collect-produce-timeout-ms', '1500'],
      { PULSE_COLLECT_KEYS: `${KEY}=web-player` },
    )
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })
    const url = await collectorUrl(running)
    expect((await post(url, clientEvents(randomUUID(), 2))).status).toBe(200)
    await emulator.stop()
    const refused = await post(url, clientEvents(randomUUID(), 2))
    expect(refused.status).toBe(503)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    running.child.kill('SIGTERM')
    expect(await running.exited).toBe(0)
  })
})
