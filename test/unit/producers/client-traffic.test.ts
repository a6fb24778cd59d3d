// Client traffic as a stream: reproducible, in send-time order, at the asked rate, with the asked
// shares of late and duplicate sends, and every record fitting the schema.
import { describe, expect, it } from 'vitest'
import {
  CLIENT_DEFAULTS,
  createClientTraffic,
  generateClientTraffic,
  resolveClientOptions,
} from '../../../producers/generators/index.ts'
import type { ClientGenerated, ClientTrafficOptions } from '../../../producers/generators/index.ts'
import { decode, encode } from '../../../schemas/codec.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { firstSends } from './helpers.ts'

const START = CLIENT_DEFAULTS.startTime

/** The record without its send time: what the viewer did, whenever it was sent. */
function withoutSendTime(event: ClientEvent): Omit<ClientEvent, 'client_send_time'> {
  const { client_send_time: _sent, ...rest } = event
  return rest
}

describe('client traffic stream', () => {
  const options: ClientTrafficOptions = { seed: 11, ratePerSecond: 500, viewers: 20_000 }
  const records = generateClientTraffic(options, 100_000)

  it('is the same for the same options and differs for another seed', () => {
    expect(generateClientTraffic(options, 100_000)).toEqual(records)
    const other = generateClientTraffic({ ...options, seed: 12 }, 1000)
    expect(other.map((g) => g.record.event_id)).not.toEqual(records.slice(0, 1000).map((g) => g.record.event_id))
  })

  it('comes out in send-time order, each event sent at or after it happened', () => {
    const outOfOrder = records.filter((g, i) => i > 0 && g.sendTime < (records[i - 1]?.sendTime ?? 0))
    expect(outOfOrder).toEqual([])
    const badTimes = records.filter(
      ({ sendTime, record }) => record.event_time > sendTime || record.client_send_time !== sendTime || record.event_time < START,
    )
    expect(badTimes).toEqual([])
  })

  it('keys every record by its app session, playbacks included', () => {
    const wrong = records.filter(({ key, record }) => key !== record.app_session_id)
    expect(wrong).toEqual([])
    expect(records.some(({ record }) => record.playback_id !== null)).toBe(true)
  })

  it('peekTime() tells the send time of what next() returns', () => {
    const traffic = createClientTraffic(options)
    for (let i = 0; i < 5000; i++) {
      const peeked = traffic.peekTime()
      expect(traffic.next().sendTime).toBe(peeked)
    }
  })

  it('fits the client_event schema (Avro round trip)', () => {
    for (const { record } of records.slice(0, 5000)) {
      const decoded = decode('client_event', encode('client_event', record))
      expect(decoded.ok).toBe(true)
      // Generated traffic never went through the collector: no receipt time, read back as null.
      if (decoded.ok) expect(decoded.value).toEqual({ ...record, received_at: null })
    }
  })

  it('changing send knobs changes when events are sent, never what the viewers did', () => {
    const quiet = firstSends(generateClientTraffic({ ...options, lateFraction: 0, duplicateFraction: 0 }, 20_000))
    const noisy = firstSends(generateClientTraffic({ ...options, lateFraction: 0.2, duplicateFraction: 0.2 }, 40_000))
    const noisyById = new Map(noisy.map((e) => [e.event_id, e]))
    // Late sends reorder the stream, so compare the events both prefixes contain.
    const shared = quiet.filter((e) => noisyById.has(e.event_id))
    expect(shared.length).toBeGreaterThan(15_000)
    for (const event of shared) expect(withoutSendTime(noisyById.get(event.event_id) ?? event)).toEqual(withoutSendTime(event))
  })
})

describe('client traffic rate', () => {
  /** Events per simulated second, over events whose every send is already in the sample. */
  function measuredRate(rate: number): number {
    const maxDelay = 1000
    const sample = generateClientTraffic({ seed: 3, ratePerSecond: rate, viewers: rate * 40, lateFraction: 0, duplicateFraction: 0, maxClientDelayMs: maxDelay }, 100_000)
    const horizon = (sample[sample.length - 1]?.sendTime ?? 0) - maxDelay
    const count = sample.filter((g) => g.record.event_time < horizon).length
    return count / ((horizon - START) / 1000)
  }

  it('averages ratePerSecond events per simulated second (100k events, within 2%)', () => {
    for (const rate of [200, 5000]) {
      const measured = measuredRate(rate)
      expect(measured).toBeGreaterThan(rate * 0.98)
      expect(measured).toBeLessThan(rate * 1.02)
    }
  })

  it('rejects options that make no sense instead of guessing', () => {
    expect(() => resolveClientOptions({ ratePerSecond: 0 })).toThrow(/ratePerSecond/)
    expect(() => resolveClientOptions({ lateFraction: 1.5 })).toThrow(/lateFraction/)
    expect(() => resolveClientOptions({ viewers: 10, ratePerSecond: 100_000 })).toThrow(/raise viewers/)
    expect(() => resolveClientOptions({ viewer: 10 } as ClientTrafficOptions)).toThrow(/unknown client traffic option "viewer"/)
  })
})

describe('late and duplicate sends', () => {
  const maxClientDelayMs = 1500
  const maxLateMs = 60_000
  const lateFraction = 0.05
  const duplicateFraction = 0.03
  const records: ClientGenerated[] = generateClientTraffic(
    { seed: 5, ratePerSecond: 1000, viewers: 40_000, lateFraction, duplicateFraction, maxClientDelayMs, maxLateMs },
    300_000,
  )
  // Events early enough that their late send and any retry (≤ 15 s later) are in the sample.
  const horizon = (records[records.length - 1]?.sendTime ?? 0) - maxClientDelayMs - maxLateMs - 15_000
  const sends = new Map<string, ClientGenerated[]>()
  for (const g of records) {
    const list = sends.get(g.record.event_id)
    if (list === undefined) sends.set(g.record.event_id, [g])
    else list.push(g)
  }
  const settled = [...sends.values()].filter((list) => (list[0]?.record.event_time ?? Infinity) < horizon)

  it('sends about lateFraction of events late, by seconds to minutes, never beyond the cap', () => {
    expect(settled.length).toBeGreaterThan(150_000)
    const delays = settled.map((list) => (list[0]?.sendTime ?? 0) - (list[0]?.record.event_time ?? 0))
    const late = delays.filter((d) => d > maxClientDelayMs)
    expect(late.length / settled.length).toBeGreaterThan(lateFraction - 0.004)
    expect(late.length / settled.length).toBeLessThan(lateFraction + 0.004)
    expect(delays.reduce((a, b) => Math.max(a, b), 0)).toBeLessThanOrEqual(maxClientDelayMs + maxLateMs)
    expect(late.filter((d) => d > maxClientDelayMs + 20_000).length).toBeGreaterThan(late.length / 2)
  })

  it('re-sends about duplicateFraction of events, later, with the same event_id and content', () => {
    const retried = settled.filter((list) => list.length > 1)
    expect(retried.length / settled.length).toBeGreaterThan(duplicateFraction - 0.003)
    expect(retried.length / settled.length).toBeLessThan(duplicateFraction + 0.003)
    for (const [first, second, third] of retried) {
      expect(third).toBeUndefined()
      if (first === undefined || second === undefined) continue
      expect(second.sendTime).toBeGreaterThan(first.sendTime)
      expect(second.record.client_send_time).toBe(second.sendTime)
      expect(second.key).toBe(first.key)
      expect(withoutSendTime(second.record)).toEqual(withoutSendTime(first.record))
    }
  })

  it('never reuses an event_id except for a retry', () => {
    // A retry is the same event: a different event under one id would be a collision.
    for (const list of sends.values()) {
      const [first, ...rest] = list
      for (const again of rest) expect(again.record.event_time).toBe(first?.record.event_time)
    }
    expect(sends.size).toBeGreaterThan(records.length * 0.96)
  })
})
