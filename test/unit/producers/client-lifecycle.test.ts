// What the client events say happened must be a life a real player could have: per playback, per app
// session, per profile; and the bad CDN and ISP must show in the numbers analytics will compute.
import { describe, expect, it } from 'vitest'
import { BAD_CDN, BAD_ISP, generateClientTraffic } from '../../../producers/generators/index.ts'
import type { ClientEvent, ClientEventType } from '../../../schemas/types.ts'
import { defined, firstSends, groupInEventOrder, mean, median } from './helpers.ts'

// About 40 simulated minutes: long enough for playbacks to end every way they can. No late sends, so
// every event up to the horizon is in the sample (send knobs never change what happened: see
// client-traffic.test.ts); the on-time send delay still reorders the stream.
const MAX_DELAY = 2000
const records = generateClientTraffic({ seed: 21, ratePerSecond: 200, viewers: 8000, lateFraction: 0, maxClientDelayMs: MAX_DELAY }, 500_000)
const horizon = (records[records.length - 1]?.sendTime ?? 0) - MAX_DELAY
const events = firstSends(records).filter((e) => e.event_time <= horizon)
const playbacks = groupInEventOrder(events, (e) => e.playback_id)

const PLAYBACK_TYPES = new Set<ClientEventType>([
  'play_request', 'playback_start', 'bitrate_change', 'rebuffer_start', 'rebuffer_end', 'audio_glitch',
  'video_glitch', 'playback_error', 'pause', 'resume', 'playback_stop', 'autoplay_next',
])
/** Events after which the position stands still until the next one. */
const FROZEN_AFTER = new Set<ClientEventType>(['rebuffer_start', 'pause', 'play_request', 'autoplay_next'])

/** Everything wrong with one playback's history, as readable strings (empty when valid). */
function lifecycleProblems(history: readonly ClientEvent[]): string[] {
  const problems: string[] = []
  const types = history.map((e) => e.event_type)
  const first = history[0]
  if (first?.event_type !== 'play_request') problems.push(`starts with ${types[0]}`)
  const startIndex = types.indexOf('playback_start')
  if (types.lastIndexOf('playback_start') !== startIndex) problems.push('two playback_start')
  const stopIndex = types.indexOf('playback_stop')
  if (stopIndex >= 0 && stopIndex !== history.length - 1) problems.push('events after playback_stop')
  history.forEach((event, i) => {
    const previous = history[i - 1]
    if (!PLAYBACK_TYPES.has(event.event_type)) problems.push(`UI event ${event.event_type} in a playback`)
    if (event.device_id !== first?.device_id || event.app_session_id !== first.app_session_id) problems.push('changes device or session')
    if (event.title_id !== first?.title_id || event.cdn !== first.cdn) problems.push('changes title or cdn')
    if (startIndex < 0 || i < startIndex) {
      const allowed: ClientEventType[] = ['play_request', 'playback_error', 'playback_stop']
      if (!allowed.includes(event.event_type)) problems.push(`${event.event_type} before playback_start`)
    }
    if (previous?.event_type === 'rebuffer_start' && event.event_type !== 'rebuffer_end') problems.push(`rebuffer_start then ${event.event_type}`)
    if (event.event_type === 'rebuffer_end' && previous?.event_type !== 'rebuffer_start') problems.push('rebuffer_end without start')
    if (event.event_type === 'resume' && previous?.event_type !== 'pause') problems.push('resume without pause')
    if (previous?.event_type === 'pause' && !['resume', 'playback_stop'].includes(event.event_type)) problems.push(`pause then ${event.event_type}`)
    if (previous !== undefined) problems.push(...positionProblems(previous, event))
  })
  const start = history[startIndex]
  if (start !== undefined && start.duration_ms !== start.event_time - (first?.event_time ?? 0)) problems.push('start-up time is not request→start')
  const end = history[stopIndex]
  if (end !== undefined) problems.push(...exitProblems(end, history[stopIndex - 1], startIndex >= 0))
  return problems
}

/** Position moves with the clock while playing, stands still otherwise, never backwards. */
function positionProblems(previous: ClientEvent, event: ClientEvent): string[] {
  const moved = (event.position_ms ?? 0) - (previous.position_ms ?? 0)
  const elapsed = event.event_time - previous.event_time
  if (moved < 0) return [`position goes back after ${previous.event_type}`]
  if (moved > elapsed + 1) return [`position runs faster than time after ${previous.event_type}`]
  // A fatal error (one followed by the stop) freezes the player; a recovered one plays on.
  const fatal = previous.event_type === 'playback_error' && event.exit_reason === 'error'
  if ((FROZEN_AFTER.has(previous.event_type) || fatal) && moved > 1) return [`position moves after ${previous.event_type}`]
  const playing = ['bitrate_change', 'playback_start', 'resume', 'rebuffer_end'].includes(previous.event_type)
  if (playing && event.event_type === 'bitrate_change' && Math.abs(moved - elapsed) > 1) return ['position lags the clock while playing']
  return []
}

function exitProblems(stop: ClientEvent, before: ClientEvent | undefined, started: boolean): string[] {
  switch (stop.exit_reason) {
    case 'abandon_startup':
      return started ? ['abandon_startup after playback_start'] : []
    case 'error':
      return before?.event_type === 'playback_error' ? [] : ['exit error without playback_error']
    case 'autoplay_next':
      return before?.event_type === 'autoplay_next' ? [] : ['exit autoplay_next without autoplay_next']
    case 'completed':
    case 'user_exit':
      return started ? [] : [`${stop.exit_reason} without playback_start`]
    default:
      return [`unknown exit_reason ${String(stop.exit_reason)}`]
  }
}

describe('playback lifecycle', () => {
  it('is valid for every playback_id', () => {
    const invalid = [...playbacks].map(([id, history]) => [id, lifecycleProblems(history)] as const).filter(([, p]) => p.length > 0)
    expect(invalid.slice(0, 5)).toEqual([])
  })

  it('ends every way a playback can end, in plausible shares', () => {
    const exits = new Map<string, number>()
    for (const e of events) if (e.event_type === 'playback_stop') exits.set(String(e.exit_reason), (exits.get(String(e.exit_reason)) ?? 0) + 1)
    const stops = [...exits.values()].reduce((a, b) => a + b, 0)
    expect(stops).toBeGreaterThan(1000)
    for (const reason of ['completed', 'user_exit', 'error', 'abandon_startup', 'autoplay_next']) expect(exits.get(reason)).toBeGreaterThan(5)
    expect((exits.get('user_exit') ?? 0) / stops).toBeGreaterThan(0.4)
    expect((exits.get('error') ?? 0) / stops).toBeLessThan(0.15)
  })

  it('follows autoplay_next with a new playback of the next title on the same device, from the start', () => {
    const byDevice = groupInEventOrder(events, (e) => e.device_id)
    let followed = 0
    for (const history of byDevice.values()) {
      history.forEach((event, i) => {
        if (event.event_type !== 'playback_stop' || event.exit_reason !== 'autoplay_next') return
        const next = history[i + 1]
        if (next === undefined) return
        expect(next.event_type).toBe('play_request')
        expect(next.playback_id).not.toBe(event.playback_id)
        expect(Number(next.title_id)).toBe(Number(event.title_id) + 1)
        expect(next.position_ms).toBe(0)
        followed++
      })
    }
    expect(followed).toBeGreaterThan(5)
  })

  it('fills bitrate, duration, exit reason and error code exactly where the schema says', () => {
    const has = (e: ClientEvent, ...types: ClientEventType[]): boolean => types.includes(e.event_type)
    const wrong = events.filter(
      (e) =>
        has(e, 'playback_start', 'bitrate_change') !== (e.bitrate_kbps !== null && e.bitrate_kbps >= 235) ||
        has(e, 'playback_start', 'rebuffer_end') !== (e.duration_ms !== null && e.duration_ms > 0) ||
        has(e, 'playback_stop') !== (e.exit_reason !== null) ||
        has(e, 'playback_error') !== (e.error_code !== null),
    )
    expect(wrong.slice(0, 3)).toEqual([])
  })
})

describe('app sessions, UI events and A/B allocations', () => {
  it('gives UI and A/B events no playback, no cdn, and their own fields', () => {
    const ui = events.filter((e) => !PLAYBACK_TYPES.has(e.event_type))
    expect(ui.length).toBeGreaterThan(events.length * 0.1)
    const inRow = (e: ClientEvent): boolean => e.event_type === 'row_impression' || e.event_type === 'title_click'
    const wrong = ui.filter(
      (e) =>
        e.playback_id !== null ||
        e.cdn !== null ||
        e.position_ms !== null ||
        inRow(e) !== (e.row_id !== null && e.row_position !== null && e.row_position >= 0 && e.title_id !== null) ||
        (e.event_type === 'search') !== (e.search_query !== null) ||
        (e.event_type === 'ab_allocation') !== (e.ab_test_id !== null && e.ab_cell !== null),
    )
    expect(wrong.slice(0, 3)).toEqual([])
  })

  it('keeps one app session on one device and profile', () => {
    const sessions = [...groupInEventOrder(events, (e) => e.app_session_id).values()]
    expect(sessions.length).toBeGreaterThan(1000)
    const mixed = sessions.filter((history) => new Set(history.map((e) => `${e.device_id}/${e.profile_id}`)).size !== 1)
    expect(mixed).toEqual([])
  })

  it('keeps a profile in one cell per test, across sessions and devices, and uses every cell', () => {
    const cells = new Map<string, Set<string>>()
    const perTest = new Map<string, Set<string>>()
    const devicesPerProfile = new Map<string, Set<string>>()
    for (const e of events) {
      if (e.event_type !== 'ab_allocation') continue
      const test = defined(e.ab_test_id, 'ab_test_id')
      const cell = defined(e.ab_cell, 'ab_cell')
      cells.set(`${e.profile_id}/${test}`, (cells.get(`${e.profile_id}/${test}`) ?? new Set()).add(cell))
      perTest.set(test, (perTest.get(test) ?? new Set()).add(cell))
      devicesPerProfile.set(e.profile_id, (devicesPerProfile.get(e.profile_id) ?? new Set()).add(e.device_id))
    }
    expect([...cells.values()].filter((s) => s.size > 1)).toEqual([])
    expect(perTest.size).toBeGreaterThanOrEqual(4)
    for (const used of perTest.values()) expect(used.size).toBeGreaterThanOrEqual(2)
    // Shared profiles are what makes "one cell per profile" a real check rather than one per device.
    expect([...devicesPerProfile.values()].filter((d) => d.size > 1).length).toBeGreaterThan(50)
  })
})

describe('network quality', () => {
  const starts = events.filter((e) => e.event_type === 'playback_start')
  const stalls = events.filter((e) => e.event_type === 'rebuffer_end')

  function rebuffersPerStart(match: (e: ClientEvent) => boolean): number {
    return stalls.filter(match).length / starts.filter(match).length
  }

  it('makes the bad CDN measurably worse: slower start-up, more and longer rebuffers', () => {
    const bad = (e: ClientEvent): boolean => e.cdn === BAD_CDN && e.isp !== BAD_ISP
    const good = (e: ClientEvent): boolean => e.cdn !== BAD_CDN && e.isp !== BAD_ISP
    expect(starts.filter(bad).length).toBeGreaterThan(200)
    const startup = (m: typeof bad): number => median(starts.filter(m).map((e) => e.duration_ms ?? 0))
    expect(startup(bad) / startup(good)).toBeGreaterThan(1.5)
    expect(rebuffersPerStart(bad) / rebuffersPerStart(good)).toBeGreaterThan(2.5)
    const stall = (m: typeof bad): number => mean(stalls.filter(m).map((e) => e.duration_ms ?? 0))
    expect(stall(bad) / stall(good)).toBeGreaterThan(1.5)
  })

  it('makes the bad ISP slower to start whatever the CDN', () => {
    const startup = (isp: (i: string) => boolean): number =>
      median(starts.filter((e) => e.cdn !== BAD_CDN && isp(e.isp)).map((e) => e.duration_ms ?? 0))
    expect(startup((i) => i === BAD_ISP) / startup((i) => i !== BAD_ISP)).toBeGreaterThan(1.2)
  })
})
