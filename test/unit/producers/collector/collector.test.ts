// The collector over real HTTP with a fake transport: what is acknowledged is exactly what the
// transport accepted, every refusal has its status, and rejected events reach the dead-letter writer.
import { gzipSync } from 'node:zlib'
import { Registry } from 'prom-client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startCollector, loadWriteKeys } from '../../../../producers/collector/index.ts'
import type { OutgoingRecord, Transport } from '../../../../producers/transport.ts'
import type { Row } from '../../../../pipeline/rows.ts'
import { decode, encode } from '../../../../schemas/codec.ts'
import { pipelineEventCheck } from '../../../../cli/collect.ts'
import { createLogger } from '../../../../runtime/logger.ts'
import { clientEvent } from '../../schemas/fixtures.ts'

class FakeTransport implements Transport {
  readonly name = 'kinesis'
  readonly sent: OutgoingRecord[] = []
  mode: 'ok' | 'fail' | 'hang' = 'ok'
  ensureStreams(): Promise<void> {
    return Promise.resolve()
  }
  send(_stream: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(new Error('stream down'))
    if (this.mode === 'hang') return new Promise(() => undefined)
    this.sent.push(...records)
    return Promise.resolve()
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}

const KEY = 'wk_test_secret'

async function collector(overrides: { eventsPerSecond?: number; maxInFlightEvents?: number } = {}) {
  const transport = new FakeTransport()
  const deadLetters: Row[] = []
  const registry = new Registry()
  const server = await startCollector({
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: ['http://app.example:3000'],
    keys: loadWriteKeys([`${KEY}=web-player`], undefined),
    eventsPerSecond: overrides.eventsPerSecond ?? 10_000,
    limits: { maxBodyBytes: 64 * 1024, maxEventBytes: 4096, maxInFlightEvents: overrides.maxInFlightEvents ?? 1000, produceTimeoutMs: 300 },
    transport,
    stream: 'pulse-client-events',
    check: pipelineEventCheck(),
    writeDeadLetters: (rows) => {
      deadLetters.push(...rows)
      return Promise.resolve()
    },
    registry,
    logger: createLogger({ level: 'fatal' }),
  })
  onTestFinished(() => server.close())
  const url = `http://127.0.0.1:${server.port}/v1/events`
  const post = (body: string | Buffer, headers: Record<string, string> = {}, query = ''): Promise<Response> =>
    fetch(`${url}${query}`, { method: 'POST', body, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', ...headers } })
  return { transport, deadLetters, registry, url, post }
}

const now = Date.now()
const event = (id: string, overrides: object = {}) => clientEvent({ event_id: id, event_time: now - 1000, client_send_time: now - 500, ...overrides })

describe('pulse collect', () => {
  it('puts a JSON array on the stream as Avro keyed by app session and answers per event', async () => {
    const c = await collector()
    const response = await c.post(JSON.stringify([event('a'), event('b', { app_session_id: 'sess-2' })]))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ accepted: 2, rejected: 0, errors: [] })
    expect(c.transport.sent.map((record) => record.key)).toEqual(['sess-1', 'sess-2'])
    const decoded = decode('client_event', c.transport.sent[0]?.value ?? Buffer.alloc(0))
    expect(decoded.ok && decoded.format === 'avro' && decoded.value.event_id).toBe('a')
  })

  it('takes NDJSON, gzip, Avro single-object records back to back, and text/plain beacons with ?key=', async () => {
    const c = await collector()
    expect((await c.post(`${JSON.stringify(event('n1'))}\n${JSON.stringify(event('n2'))}\n`, { 'Content-Type': 'application/x-ndjson' })).status).toBe(200)
    expect((await c.post(gzipSync(JSON.stringify([event('g1')])), { 'Content-Encoding': 'gzip' })).status).toBe(200)
    const avro = Buffer.concat([encode('client_event', event('v1')), encode('client_event', event('v2'))])
    const avroReply = (await (await c.post(avro, { 'Content-Type': 'application/avro' })).json()) as { accepted: number }
    expect(avroReply.accepted).toBe(2)
    const beacon = await fetch(`${c.url}?key=${KEY}`, { method: 'POST', body: JSON.stringify([event('b1')]), headers: { 'Content-Type': 'text/plain;charset=UTF-8' } })
    expect(beacon.status).toBe(200)
    expect(c.transport.sent.map((record) => (decode('client_event', record.value) as { value: { event_id: string } }).value.event_id)).toEqual(['n1', 'n2', 'g1', 'v1', 'v2', 'b1'])
  })

  it('reports invalid events with their reason and hands them to the dead letters with stage collect', async () => {
    const c = await collector()
    const bad = { ...event('late'), event_time: Date.UTC(1990, 0, 1) }
    const response = await c.post(`${JSON.stringify(event('ok'))}\n${JSON.stringify(bad)}\n{not json\n${JSON.stringify({ event_id: 'x' })}\n`)
    const body = (await response.json()) as { accepted: number; errors: { index: number; event_id?: string; reason: string }[] }
    expect(response.status).toBe(200)
    expect(body.accepted).toBe(1)
    expect(body.errors.map((error) => [error.index, error.event_id, error.reason])).toEqual([
      [1, 'late', 'time_out_of_range'],
      [2, undefined, 'malformed_json'],
      [3, 'x', 'schema_mismatch'],
    ])
    expect(c.transport.sent).toHaveLength(1)
    expect(c.deadLetters.map((row) => [row.stage, row.reason, row.partition])).toEqual([
      ['collect', 'time_out_of_range', 'web-player'],
      ['collect', 'malformed_json', 'web-player'],
      ['collect', 'schema_mismatch', 'web-player'],
    ])
    expect(Buffer.from(String(c.deadLetters[1]?.raw_base64), 'base64').toString()).toBe('{not json')
  })

  it('stamps received_at by its own clock on every accepted event, JSON or Avro, whatever the client sent', async () => {
    const c = await collector()
    const before = Date.now()
    const json = await c.post(JSON.stringify([event('j1'), { ...event('j2'), received_at: 'whenever' }, { ...event('j3'), received_at: 1 }, { ...event('bad'), event_time: 0 }]))
    const avro = await c.post(encode('client_event', { ...event('a1'), received_at: 2 }), { 'Content-Type': 'application/avro' })
    const after = Date.now()
    expect([json.status, avro.status]).toEqual([200, 200])
    const stamped = c.transport.sent.map((record) => {
      const decoded = decode('client_event', record.value)
      return decoded.ok ? [decoded.value.event_id, decoded.value.received_at] : []
    })
    expect(stamped.map(([id]) => id)).toEqual(['j1', 'j2', 'j3', 'a1'])
    for (const [id, receivedAt] of stamped) expect(receivedAt, String(id)).toSatisfy((at: unknown) => typeof at === 'number' && at >= before && at <= after)
    // A refused event is dead-lettered as the client sent it, without the stamp.
    expect(JSON.parse(Buffer.from(String(c.deadLetters[0]?.raw_base64), 'base64').toString())).toEqual({ ...event('bad'), event_time: 0 })
  })

  it('refuses unknown keys (401), big bodies and events (413), gzip bombs (413), floods (429)', async () => {
    const c = await collector({ eventsPerSecond: 2 })
    expect((await c.post('[]', { Authorization: 'Bearer nope' })).status).toBe(401)
    expect((await fetch(c.url, { method: 'POST', body: '[]' })).status).toBe(401)
    expect((await c.post('x'.repeat(70 * 1024))).status).toBe(413)
    expect((await c.post(gzipSync(`[${' '.repeat(200 * 1024)}]`), { 'Content-Encoding': 'gzip' })).status).toBe(413)
    expect((await c.post(JSON.stringify([event('big', { search_query: 'q'.repeat(5000) })]))).status).toBe(413)
    const flood = await c.post(JSON.stringify([1, 2, 3, 4, 5].map((n) => event(`f${n}`))))
    expect(flood.status).toBe(429)
    expect(Number(flood.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(c.transport.sent).toHaveLength(0)
    const metrics = await c.registry.getSingleMetricAsString('pulse_collect_requests_total')
    expect(metrics).toMatch(/status="401"\} 2/)
    expect(metrics).not.toContain(KEY)
  })

  it('answers 503 with Retry-After when the stream fails, hangs, or the buffer is full', async () => {
    const c = await collector({ maxInFlightEvents: 1 })
    c.transport.mode = 'fail'
    const failed = await c.post(JSON.stringify([event('a')]))
    expect(failed.status).toBe(503)
    expect(failed.headers.get('retry-after')).toBe('2')
    c.transport.mode = 'hang'
    expect((await c.post(JSON.stringify([event('b')]))).status).toBe(503)
    c.transport.mode = 'ok'
    expect((await c.post(JSON.stringify([event('c'), event('d')]))).status).toBe(503)
    expect(c.transport.sent).toHaveLength(0)
  })

  it('answers CORS preflights for configured origins only, and measures client clock skew', async () => {
    const c = await collector()
    const preflight = await fetch(c.url, { method: 'OPTIONS', headers: { Origin: 'http://app.example:3000', 'Access-Control-Request-Method': 'POST' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example:3000')
    expect((await c.post('[]', { Origin: 'http://evil.example' })).status).toBe(403)
    await c.post(JSON.stringify([event('s', { client_send_time: Date.now() - 120_000 })]))
    const skew = await c.registry.getSingleMetricAsString('pulse_collect_clock_skew_seconds')
    expect(skew).toMatch(/pulse_collect_clock_skew_seconds_bucket\{le="60"\} 0/)
    expect(skew).toMatch(/pulse_collect_clock_skew_seconds_bucket\{le="300"\} 1/)
  })
})
