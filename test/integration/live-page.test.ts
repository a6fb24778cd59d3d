// The browser side, in headless Chromium: a page on another origin sends client events to the
// collector of `pulse run` with fetch and navigator.sendBeacon (they land in client_events exactly
// once); then the live page on the metrics port shows the same QoE numbers as `pulse report
// qoe-by-cdn` on the same data, and keeps updating. The screenshot is saved under test-output/.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pulse, spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'
import { launchChromium } from '../helpers/browser.ts'
import { freePort } from '../../infra/ports.ts'
import { createClientTraffic } from '../../producers/generators/client-traffic.ts'

const KEY = `wk_${randomUUID()}`

/** The other origin: a blank page the browser loads so its requests carry that Origin. */
async function foreignOrigin(): Promise<string> {
  const server = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>app</title>'))
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()))
  onTestFinished(() => new Promise<void>((done) => server.close(() => done())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function generatedBatch(count: number): { events: Record<string, unknown>[]; ids: Set<string> } {
  const traffic = createClientTraffic({ seed: 11, startTime: Date.now() - 90_000, ratePerSecond: 500, viewers: 40 })
  const events: Record<string, unknown>[] = []
  while (events.length < count) {
    const record = traffic.next().record
    if (record.event_time < Date.now()) events.push({ ...record, client_send_time: Date.now() })
  }
  return { events, ids: new Set(events.map((event) => String(event.event_id))) }
}

/** Page cells back to numbers ('1,234' → 1234, '–' → null), report TSV likewise ('\N' → null). */
const cell = (text: string): number | string | null => (text === '–' || text === '\\N' ? null : Number.isNaN(Number(text.replaceAll(',', ''))) ? text : Number(text.replaceAll(',', '')))

describe('in a real browser', () => {
  it('a foreign page sends with fetch and sendBeacon; the live page matches pulse report and keeps updating', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-live-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const origin = await foreignOrigin()
    const metricsPort = await freePort()
    const running = spawnPulse(
      ['run', '--duration', '120', '--data-dir', dataDir, '--client-rate', '0', '--flow-rate', '0', '--metrics-port', String(metricsPort), '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0', '--collect-port', '0'],
      { PULSE_COLLECT_KEYS: `${KEY}=web-player`, PULSE_COLLECT_ALLOWED_ORIGINS: origin },
    )
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })
    const match = await pollUntil(() => Promise.resolve(/"url":"(http:\/\/127\.0\.0\.1:\d+\/v1\/events)"/.exec(running.output())), (found) => found !== null || running.child.exitCode !== null, { timeoutMs: 90_000 })
    const collector = match?.[1] ?? ''
    const { context, close } = await launchChromium()
    onTestFinished(close)

    const app = await context.newPage()
    await app.goto(origin)
    const { events, ids } = generatedBatch(600)
    const viaFetch = events.slice(0, 500)
    const viaBeacon = events.slice(500)
    const answers = await app.evaluate(
      async ({ url, key, fetched, beaconed }) => {
        const post = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(fetched) })
        // The test compiles without the DOM library; in the page, navigator is the browser's.
        const beacon = (globalThis as unknown as { navigator: { sendBeacon(target: string, data: Blob): boolean } }).navigator
        const queued = beacon.sendBeacon(`${url}?key=${key}`, new Blob([JSON.stringify(beaconed)], { type: 'text/plain' }))
        const unknown = await fetch(url, { method: 'POST', headers: { Authorization: 'Bearer not-a-key' }, body: '[]' })
        const big = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: 'x'.repeat(1024 * 1024 + 10) }).then((r) => r.status, () => 413)
        const invalid = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: JSON.stringify([{ ...fetched[0], event_id: 'invalid-from-browser', event_time: 0 }]) })
        return { fetch: post.status, body: (await post.json()) as { accepted: number }, beacon: queued, unknown: unknown.status, big, invalid: (await invalid.json()) as { errors: { reason: string }[] } }
      },
      { url: collector, key: KEY, fetched: viaFetch, beaconed: viaBeacon },
    )
    expect(answers).toMatchObject({ fetch: 200, beacon: true, unknown: 401, big: 413 })
    expect(answers.invalid.errors[0]?.reason).toBe('time_out_of_range')
    const query = async (sql: string): Promise<string> => (await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', sql])).stdout.trim()
    const list = [...ids].map((id) => `'${id}'`).join(',')
    const landed = await pollUntil(() => query(`SELECT count(), uniqExact(event_id) FROM pulse.client_events WHERE event_id IN (${list})`).catch(() => ''), (text) => text === `${ids.size}\t${ids.size}`, { timeoutMs: 60_000, what: 'browser events in client_events' })
    expect(landed).toBe(`${ids.size}\t${ids.size}`)
    expect(await query("SELECT count() FROM pulse.dead_letters WHERE stage = 'collect' AND raw_preview LIKE '%invalid-from-browser%'")).toBe('1')

    const live = await context.newPage()
    await live.goto(`http://127.0.0.1:${metricsPort}/live`)
    const pageQoe = async (): Promise<{ since: string; rows: (number | string | null)[][] }> => ({
      since: (await live.getAttribute('#updated', 'data-since')) ?? '',
      // innerText of a table row separates its cells with tabs.
      rows: (await live.locator('#qoe tr').allInnerTexts()).slice(1).map((row) => row.split('\t').map((text) => cell(text.trim()))),
    })
    const reportQoe = async (since: string): Promise<(number | string | null)[][]> => {
      const { stdout } = await pulse(['report', 'qoe-by-cdn', '--data-dir', dataDir, '--param', `since=${since}`, '--format', 'TSV'])
      return stdout.trim().split('\n').filter((line) => line !== '').map((line) => line.split('\t').map((text, index) => (index === 0 && text === '' ? '(none)' : cell(text))))
    }
    // Processing settles within seconds; then the page and the report read the same rows.
    const agreed = await pollUntil(
      async () => {
        const shown = await pageQoe()
        return { shown, reported: shown.since === '' ? [] : await reportQoe(shown.since) }
      },
      ({ shown, reported }) => shown.rows.length > 0 && JSON.stringify(shown.rows) === JSON.stringify(reported.map((row) => row.map((value) => (typeof value === 'number' ? Number(value.toFixed(4)) : value)))),
      { timeoutMs: 60_000, what: 'the live page to show what pulse report says' },
    )
    expect(agreed.shown.rows.some((row) => typeof row[2] === 'number' && row[2] > 0)).toBe(true)
    const first = Number(await live.getAttribute('#updated', 'data-at'))
    await pollUntil(async () => Number(await live.getAttribute('#updated', 'data-at')), (at) => at > first + 1500, { timeoutMs: 10_000, what: 'the page to update again' })
    expect(await live.locator('#dead-letters').textContent()).toContain('collect / time_out_of_range')
    mkdirSync('test-output', { recursive: true })
    await live.screenshot({ path: 'test-output/live-page.png', fullPage: true })
  })
})
