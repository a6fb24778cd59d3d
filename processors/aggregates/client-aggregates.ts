// Per-minute contributions of one client event to qoe_1m, engagement_1m and client_events_1m. An
// on-time event's are summed into its partition's open window (minute-windows.ts) and written once
// when the window closes; a late event's are written as correction rows (summed with other
// corrections of the block by the segment), which the additive tables add to the window's row.
//
// The grains are coarse on purpose (issue 18: ≤ 1.2 rows written per input event, raw rows
// included): no title_id in either table, because minute × title keys are nearly one per event at
// bench traffic (README, "Rows per event and the grain of the per-minute tables"). Per-title
// questions are answered by views over client_events and playback_sessions (migration 012).
import type { ClientEvent } from '../../schemas/types.ts'
import type { DerivedRow } from '../../pipeline/rows.ts'
import type { PlaybackSession } from '../sessions/playback-session.ts'
import { logBucket } from './histogram.ts'

export interface Contribution {
  event: ClientEvent
  session: PlaybackSession | undefined
  /** Window start (epoch ms) of the event's minute. */
  windowStart: number
  playedMs: number
  late: boolean
  /** test:cell pairs of the event's app session ([] when none is known). */
  abCells: readonly string[]
}

const QOE_MEASURES = ['play_attempts', 'plays', 'failed_plays', 'rebuffer_events', 'rebuffer_ms', 'played_ms', 'glitches', 'errors', 'startup_ms_hist', 'corrections']
const ENGAGEMENT_MEASURES = ['impressions', 'clicks', 'plays', 'played_ms', 'completions', 'autoplay_next', 'corrections']

export function qoeContribution(c: Contribution): DerivedRow | undefined {
  const { event, session } = c
  const type = event.event_type
  const play_attempts = type === 'play_request' ? 1 : 0
  const plays = type === 'playback_start' ? 1 : 0
  const failed_plays = type === 'playback_error' && session !== undefined && !session.started ? 1 : 0
  const rebuffer_events = type === 'rebuffer_start' ? 1 : 0
  const rebuffer_ms = type === 'rebuffer_end' ? (event.duration_ms ?? 0) : 0
  const glitches = type === 'audio_glitch' || type === 'video_glitch' ? 1 : 0
  const errors = type === 'playback_error' ? 1 : 0
  // Plain sums and literals, no Object.values/spread: this runs for every client event (BENCHMARKS.md, profile).
  if (play_attempts + plays + failed_plays + rebuffer_events + rebuffer_ms + c.playedMs + glitches + errors === 0 && !c.late) return undefined
  const startup = type === 'playback_start' && event.duration_ms !== null ? { [logBucket(event.duration_ms)]: 1 } : {}
  const minute = minuteText(c.windowStart)
  // Playback events after the first may omit the CDN; the session's first event names it.
  const cdn = event.cdn ?? session?.first.cdn ?? ''
  const key = `${minute}|${event.device_type}|${event.country}|${cdn}`
  const row = {
    minute, device_type: event.device_type, country: event.country, cdn,
    play_attempts, plays, failed_plays, rebuffer_events, rebuffer_ms, played_ms: c.playedMs, glitches, errors,
    startup_ms_hist: startup, corrections: c.late ? 1 : 0,
  }
  return { table: 'qoe_1m', row, combine: { key, how: 'sum', measures: QOE_MEASURES } }
}

export function engagementContributions(c: Contribution): DerivedRow[] {
  const { event } = c
  const type = event.event_type
  const impressions = type === 'row_impression' ? 1 : 0
  const clicks = type === 'title_click' ? 1 : 0
  const plays = type === 'playback_start' ? 1 : 0
  const completions = type === 'playback_stop' && event.exit_reason === 'completed' ? 1 : 0
  const autoplay_next = type === 'playback_stop' && event.exit_reason === 'autoplay_next' ? 1 : 0
  if (impressions + clicks + plays + c.playedMs + completions + autoplay_next === 0) return []
  const row_id = event.row_id ?? ''
  const minute = minuteText(c.windowStart)
  const corrections = c.late ? 1 : 0
  const cells = c.abCells.length === 0 ? NO_TEST : c.abCells
  const rows: DerivedRow[] = []
  for (const testCell of cells) {
    const [ab_test_id, ab_cell] = splitCell(testCell)
    const key = `${minute}|${row_id}|${testCell}`
    const row = { minute, row_id, ab_test_id, ab_cell, impressions, clicks, plays, played_ms: c.playedMs, completions, autoplay_next, corrections }
    rows.push({ table: 'engagement_1m', row, combine: { key, how: 'sum', measures: ENGAGEMENT_MEASURES } })
  }
  return rows
}

/** An event of an app session in no A/B test counts once, under test and cell ''. */
const NO_TEST: readonly string[] = ['']

/**
 * 'test:cell' → [test, cell], remembered: the same few pairs come with every event of every
 * enrolled session, so splitting them each time would allocate two strings and an array per event.
 */
function splitCell(testCell: string): readonly [string, string] {
  let pair = splitCells.get(testCell)
  if (pair === undefined) {
    const colon = testCell.indexOf(':')
    pair = colon < 0 ? [testCell, ''] : [testCell.slice(0, colon), testCell.slice(colon + 1)]
    // Bounded: test:cell pairs are configuration, but a stream could bring any; forget them all past the cap.
    if (splitCells.size >= SPLIT_CACHE_MAX) splitCells.clear()
    splitCells.set(testCell, pair)
  }
  return pair
}

const SPLIT_CACHE_MAX = 10_000
const splitCells = new Map<string, readonly [string, string]>()

const EVENT_COUNT_MEASURES = ['events']

/** One more event of its type in client_events_1m (every raw row counts, too-late ones included). */
export function eventCountContribution(event: ClientEvent, windowStart: number): DerivedRow {
  const minute = Math.floor(windowStart / 1000)
  const cdn = event.cdn ?? ''
  const key = `${minute}|${event.event_type}|${event.device_type}|${event.country}|${cdn}`
  const row = { minute, event_type: event.event_type, device_type: event.device_type, country: event.country, cdn, events: 1 }
  return { table: 'client_events_1m', row, combine: { key, how: 'sum', measures: EVENT_COUNT_MEASURES } }
}

/** The window start as ClickHouse DateTime text ('YYYY-MM-DD hh:mm:ss', UTC). */
function minuteText(windowStart: number): string {
  // Consecutive events almost always share a window: one remembered text saves a Date and
  // toISOString per event (a visible share of the profile).
  if (windowStart !== lastWindowStart) {
    lastWindowStart = windowStart
    lastMinuteText = new Date(windowStart).toISOString().slice(0, 19).replace('T', ' ')
  }
  return lastMinuteText
}

let lastWindowStart = Number.NaN
let lastMinuteText = ''
