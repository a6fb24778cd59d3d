// Record validation: each rule, at its boundary, and the reason it gives (the dead letter's reason).

import { describe, expect, it } from 'vitest'
import { validateRecord, type Verdict } from '../../../processors/validate.ts'
import { clientEvent, ipAssignment, networkFlow } from '../schemas/fixtures.ts'

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0)
const DAY = 24 * 3600 * 1000
const EARLIEST = Date.UTC(2000, 0, 1)

function reason(verdict: Verdict): string | undefined {
  return verdict.ok ? undefined : verdict.reason
}

describe('client events', () => {
  it('accepts a plausible event', () => {
    expect(validateRecord('client_event', clientEvent({ event_time: NOW }), NOW)).toEqual({ ok: true })
  })

  it('missing_id: an empty event_id', () => {
    const verdict = validateRecord('client_event', clientEvent({ event_id: '', event_time: NOW }), NOW)
    expect(verdict).toEqual({ ok: false, reason: 'missing_id', detail: expect.stringContaining('event_id') as unknown })
  })

  it('time_out_of_range: before 2000 or more than a day ahead, with both bounds inclusive', () => {
    const at = (event_time: number): string | undefined => reason(validateRecord('client_event', clientEvent({ event_time }), NOW))
    expect(at(EARLIEST - 1)).toBe('time_out_of_range')
    expect(at(EARLIEST)).toBeUndefined()
    expect(at(NOW + DAY)).toBeUndefined()
    expect(at(NOW + DAY + 1)).toBe('time_out_of_range')
    expect(at(0)).toBe('time_out_of_range')
  })

  it('time_out_of_range: a client_send_time before 2000 or more than a day ahead, like event_time', () => {
    const at = (client_send_time: number): Verdict => validateRecord('client_event', clientEvent({ event_time: NOW, client_send_time }), NOW)
    expect(at(0)).toEqual({ ok: false, reason: 'time_out_of_range', detail: expect.stringMatching(/^client_send_time 0 /) as unknown })
    expect(reason(at(EARLIEST - 1))).toBe('time_out_of_range')
    expect(reason(at(EARLIEST))).toBeUndefined()
    expect(reason(at(NOW + DAY))).toBeUndefined()
    expect(reason(at(NOW + DAY + 1))).toBe('time_out_of_range')
  })

  it('missing_id: a playback event without playback_id', () => {
    for (const event_type of ['playback_start', 'rebuffer_start', 'playback_error', 'playback_stop'] as const) {
      const verdict = validateRecord('client_event', clientEvent({ event_type, playback_id: null, event_time: NOW }), NOW)
      expect(reason(verdict), event_type).toBe('missing_id')
      expect(verdict.ok ? '' : verdict.detail).toContain(event_type)
    }
  })

  it('accepts UI and A/B events without playback_id', () => {
    for (const event_type of ['row_impression', 'title_click', 'search', 'ab_allocation'] as const) {
      expect(validateRecord('client_event', clientEvent({ event_type, playback_id: null, event_time: NOW }), NOW), event_type).toEqual({ ok: true })
    }
  })
})

describe('network flows', () => {
  const seconds = (ms: number): number => Math.floor(ms / 1000)

  it('accepts a plausible flow', () => {
    expect(validateRecord('network_flow', networkFlow({ start: seconds(NOW), end: seconds(NOW) + 60 }), NOW)).toEqual({ ok: true })
  })

  it('time_out_of_range: start is in epoch seconds, checked against the same window', () => {
    const at = (start: number): string | undefined => reason(validateRecord('network_flow', networkFlow({ start, end: start + 1 }), NOW))
    expect(at(seconds(EARLIEST) - 1)).toBe('time_out_of_range')
    expect(at(seconds(EARLIEST))).toBeUndefined()
    expect(at(seconds(NOW + DAY))).toBeUndefined()
    expect(at(seconds(NOW + DAY) + 1)).toBe('time_out_of_range')
    // Milliseconds where seconds belong land far in the future.
    expect(at(NOW)).toBe('time_out_of_range')
  })

  it('bad_interval: end before start; end equal to start is fine', () => {
    const start = seconds(NOW)
    expect(reason(validateRecord('network_flow', networkFlow({ start, end: start - 1 }), NOW))).toBe('bad_interval')
    expect(validateRecord('network_flow', networkFlow({ start, end: start }), NOW)).toEqual({ ok: true })
  })

  it('missing_address: an OK record without either address', () => {
    const start = seconds(NOW)
    expect(reason(validateRecord('network_flow', networkFlow({ start, end: start, src_addr: null }), NOW))).toBe('missing_address')
    expect(reason(validateRecord('network_flow', networkFlow({ start, end: start, dst_addr: null }), NOW))).toBe('missing_address')
  })

  it('bad_address: an address that is neither IPv4 nor IPv6; both families are fine', () => {
    const flow = (src_addr: string): Verdict => validateRecord('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000, src_addr }), NOW)
    for (const address of ['10.0.0.256', '10.0.0', 'not-an-ip', '10.0.0.1/32', '2001:db8::g', '']) {
      expect(flow(address), address).toEqual({ ok: false, reason: 'bad_address', detail: expect.stringContaining('src_addr') as unknown })
    }
    expect(flow('10.0.0.255')).toEqual({ ok: true })
    expect(flow('2001:db8::1')).toEqual({ ok: true })
    const dst = validateRecord('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000, dst_addr: '999.1.1.1' }), NOW)
    expect(dst).toMatchObject({ ok: false, reason: 'bad_address', detail: expect.stringContaining('dst_addr') as unknown })
  })

  it('accepts NODATA and SKIPDATA records without addresses', () => {
    const start = seconds(NOW)
    for (const log_status of ['NODATA', 'SKIPDATA'] as const) {
      const flow = networkFlow({ start, end: start, log_status, src_addr: null, dst_addr: null, packets: null, bytes: null, action: null })
      expect(validateRecord('network_flow', flow, NOW), log_status).toEqual({ ok: true })
    }
  })
})

describe('IP assignments', () => {
  it('accepts a CIDR block and a bare address', () => {
    expect(validateRecord('ip_assignment', ipAssignment({ effective_time: NOW, cidr: '10.1.2.0/24' }), NOW)).toEqual({ ok: true })
    expect(validateRecord('ip_assignment', ipAssignment({ effective_time: NOW, cidr: '10.1.2.3' }), NOW)).toEqual({ ok: true })
  })

  it('time_out_of_range: effective_time outside the window', () => {
    expect(reason(validateRecord('ip_assignment', ipAssignment({ effective_time: EARLIEST - 1 }), NOW))).toBe('time_out_of_range')
    expect(reason(validateRecord('ip_assignment', ipAssignment({ effective_time: NOW + DAY + 1 }), NOW))).toBe('time_out_of_range')
  })

  it('bad_cidr: not an IPv4 address or block', () => {
    // Octets past 255 and prefixes past /32 too: the ownership index would refuse them mid-enrichment.
    for (const cidr of ['10.0.0.256/24', '999.1.1.1', '10.0.0.0/33', '10.0.0.0/-1', '2001:db8::/32', '10.1.2/24', '10.1.2.0/', '10.1.2.0/24 ', 'ten.one.two.zero', '']) {
      const verdict = validateRecord('ip_assignment', ipAssignment({ effective_time: NOW, cidr }), NOW)
      expect(reason(verdict), cidr).toBe('bad_cidr')
    }
  })
})
