// The collector counts in plain tallies and folds them into prom-client when read: what a scrape shows
// must be what prom-client's own observe/inc would have shown, after any number of reads and requests.
import { Histogram, Registry } from 'prom-client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pipelineEventCheck } from '../../../../cli/collect.ts'
import { loadWriteKeys, startCollector } from '../../../../producers/collector/index.ts'
import { HistogramTally } from '../../../../producers/collector/histogram-tally.ts'
import type { Transport } from '../../../../producers/transport.ts'
import { createLogger } from '../../../../runtime/logger.ts'
import { clientEvent } from '../../schemas/fixtures.ts'

// No bound of -1 here: prom-client files a value above every bound under the key "-1" (its findBound
// says -1 for none), so a histogram with a -1 bound counts it there; the tally does not (see below).
const BOUNDS = [-10, -2, 0, 0.5, 1, 5]

function pair(): { tally: HistogramTally; registry: Registry; direct: Histogram } {
  const registry = new Registry()
  const tally = new HistogramTally(BOUNDS)
  const folded: Histogram = new Histogram({ name: 'folded', help: 'h', buckets: BOUNDS, registers: [registry], collect: () => tally.foldInto(folded) })
  const direct = new Histogram({ name: 'direct', help: 'h', buckets: BOUNDS, registers: [registry] })
  return { tally, registry, direct }
}

async function texts(registry: Registry): Promise<[string, string]> {
  const folded = await registry.getSingleMetricAsString('folded')
  const direct = await registry.getSingleMetricAsString('direct')
  return [folded.replaceAll('folded', 'NAME'), direct.replaceAll('direct', 'NAME')]
}

describe('HistogramTally', () => {
  it('exposes what prom-client observe gives: edges, values past either end, reads between, a reset', async () => {
    const { tally, registry, direct } = pair()
    const rounds = [[-11, -10, -9.5, -2, 0, 0, 0.25], [0.5, 0.5000001, 1, 4.9, 5, 5.1, 1e9], [], [3]]
    for (const values of rounds) {
      for (const value of values) {
        tally.observe(value)
        direct.observe(value)
      }
      const [folded, expected] = await texts(registry)
      expect(folded).toBe(expected)
    }
    registry.resetMetrics()
    tally.observe(2)
    direct.observe(2)
    const [folded, expected] = await texts(registry)
    expect(folded).toBe(expected)
    expect(folded).toContain('NAME_count 1')
  })

  it('counts a value above every bound only in +Inf, also when -1 is a bound (the skew buckets have one)', async () => {
    const registry = new Registry()
    const tally = new HistogramTally([-1, 0, 1])
    const folded: Histogram = new Histogram({ name: 'skew', help: 'h', buckets: [-1, 0, 1], registers: [registry], collect: () => tally.foldInto(folded) })
    tally.observe(7200)
    expect(await samples(registry, 'skew')).toEqual(['skew_bucket{le="-1"} 0', 'skew_bucket{le="0"} 0', 'skew_bucket{le="1"} 0', 'skew_bucket{le="+Inf"} 1', 'skew_sum 7200', 'skew_count 1'])
  })
})

const KEY = 'wk_metrics'

async function collector() {
  const registry = new Registry()
  let mode: 'ok' | 'hang' = 'ok'
  const transport: Transport = {
    name: 'kafka',
    ensureStreams: () => Promise.resolve(),
    send: () => (mode === 'ok' ? Promise.resolve() : new Promise(() => undefined)),
    close: () => Promise.resolve(),
  }
  const server = await startCollector({
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [],
    keys: loadWriteKeys([`${KEY}=app`], undefined),
    eventsPerSecond: 6,
    limits: { maxBodyBytes: 64 * 1024, maxEventBytes: 4096, maxInFlightEvents: 1000, produceTimeoutMs: 200 },
    transport,
    stream: 'events',
    check: pipelineEventCheck(),
    writeDeadLetters: () => Promise.resolve(),
    registry,
    logger: createLogger({ level: 'fatal' }),
  })
  onTestFinished(() => server.close())
  const post = async (body: string, key = KEY): Promise<number> => {
    const response = await fetch(`http://127.0.0.1:${server.port}/v1/events`, { method: 'POST', body, headers: { Authorization: `Bearer ${key}` } })
    await response.arrayBuffer()
    return response.status
  }
  return { registry, post, hang: () => (mode = 'hang') }
}

/** A metric's samples as `name{labels} value` lines, without the HELP and TYPE lines. */
async function samples(registry: Registry, name: string): Promise<string[]> {
  return (await registry.getSingleMetricAsString(name)).split('\n').filter((line) => !line.startsWith('#'))
}

describe('collector metrics after requests', () => {
  it('counts requests by status, events by result and reason, durations, skew and in-flight events', async () => {
    const c = await collector()
    const now = Date.now()
    const event = (id: string, sendAgoMs: number, overrides: object = {}) => clientEvent({ event_id: id, event_time: now - 5000, client_send_time: now - sendAgoMs, ...overrides })
    // Three accepted (two send times), two rejected for different reasons.
    const mixed = [event('a', 2000), event('b', 2000), event('c', 30_000), event('late', 1000, { event_time: Date.UTC(1990, 0, 1) }), { event_id: 'x' }]
    expect(await c.post(mixed.map((item) => JSON.stringify(item)).join('\n'))).toBe(200)
    expect(await c.post('[]', 'wrong-key')).toBe(401)
    expect(await c.post(JSON.stringify(Array.from({ length: 12 }, (_, i) => event(`f${i}`, 100))))).toBe(429)
    // A read between requests must not count anything twice.
    expect(await samples(c.registry, 'pulse_collect_requests_total')).toEqual(['pulse_collect_requests_total{status="200"} 1', 'pulse_collect_requests_total{status="401"} 1', 'pulse_collect_requests_total{status="429"} 1'])
    expect(await c.post(JSON.stringify([event('d', 100)]))).toBe(200)
    expect(await samples(c.registry, 'pulse_collect_requests_total')).toEqual(['pulse_collect_requests_total{status="200"} 2', 'pulse_collect_requests_total{status="401"} 1', 'pulse_collect_requests_total{status="429"} 1'])
    expect((await samples(c.registry, 'pulse_collect_events_total')).sort()).toEqual([
      'pulse_collect_events_total{result="accepted",reason=""} 4',
      'pulse_collect_events_total{result="rejected",reason="schema_mismatch"} 1',
      'pulse_collect_events_total{result="rejected",reason="time_out_of_range"} 1',
    ])
    const requestSeconds = await samples(c.registry, 'pulse_collect_request_duration_seconds')
    expect(requestSeconds).toContain('pulse_collect_request_duration_seconds_count 4')
    expect(await samples(c.registry, 'pulse_collect_produce_duration_seconds')).toContain('pulse_collect_produce_duration_seconds_count 2')
    // One observation per distinct send time of accepted events: 2 s, 30 s, then 0.1 s ago.
    const skew = await samples(c.registry, 'pulse_collect_clock_skew_seconds')
    expect(skew).toContain('pulse_collect_clock_skew_seconds_count 3')
    expect(skew).toContain('pulse_collect_clock_skew_seconds_bucket{le="1"} 1')
    expect(skew).toContain('pulse_collect_clock_skew_seconds_bucket{le="5"} 2')
    expect(skew).toContain('pulse_collect_clock_skew_seconds_bucket{le="60"} 3')
    const skewSum = Number(skew.find((line) => line.startsWith('pulse_collect_clock_skew_seconds_sum'))?.split(' ')[1])
    expect(skewSum).toBeGreaterThanOrEqual(32.1)
    expect(skewSum).toBeLessThan(32.1 + 3 * 5)
    expect(await samples(c.registry, 'pulse_collect_in_flight_events')).toEqual(['pulse_collect_in_flight_events 0'])
  })

  it('shows events waiting on the stream as in flight while they wait', async () => {
    const c = await collector()
    c.hang()
    const waiting = c.post(JSON.stringify([clientEvent({ event_id: 'w', event_time: Date.now() - 1000, client_send_time: Date.now() - 500 })]))
    await expect.poll(async () => samples(c.registry, 'pulse_collect_in_flight_events')).toEqual(['pulse_collect_in_flight_events 1'])
    expect(await waiting).toBe(503)
    expect(await samples(c.registry, 'pulse_collect_in_flight_events')).toEqual(['pulse_collect_in_flight_events 0'])
    expect(await samples(c.registry, 'pulse_collect_requests_total')).toEqual(['pulse_collect_requests_total{status="503"} 1'])
  })
})
