// Per-minute contributions of one client event to qoe_1m, engagement_1m and client_events_1m. An
// on-time event's are added straight into its partition's open window (minute-windows.ts), whose
// row per key is written once when the window closes; a late event's become correction rows (summed
// with other corrections of the block by the segment), which the additive tables add to the
// window's row. Both go through the same fold: adding into a row per key of a `WindowRows`, so an
// on-time event that meets a key already open allocates no row at all (issue 18: no objects per
// event on the hot path).
//
// The grains are coarse on purpose (issue 18: ≤ 1.2 rows written per input event, raw rows
// included): no title_id in either table, because minute × title keys are nearly one per event at
// bench traffic (README, "Rows per event and the grain of the per-minute tables"). Per-title
// questions are answered by views over client_events and playback_sessions (migration 012).
import type { ClientEvent } from '../../schemas/types.ts'
import type { DerivedRow, Row } from '../../pipeline/rows.ts'
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

export interface QoeRow {
  minute: string
  device_type: string
  country: string
  cdn: string
  play_attempts: number
  plays: number
  failed_plays: number
  rebuffer_events: number
  rebuffer_ms: number
  played_ms: number
  glitches: number
  errors: number
  startup_ms_hist: Record<string, number>
  corrections: number
}

export interface EngagementRow {
  minute: string
  row_id: string
  ab_test_id: string
  ab_cell: string
  impressions: number
  clicks: number
  plays: number
  played_ms: number
  completions: number
  autoplay_next: number
  corrections: number
}

export interface EventCountRow {
  minute: number
  event_type: string
  device_type: string
  country: string
  cdn: string
  events: number
}

/**
 * Rows by their key's parts in nested Maps, one level a part. An event's lookup hashes each part (a
 * decoded string hashes once) instead of joining them into one key string and hashing that, which
 * allocated a string per fold and was the per-minute folds' main cost (the folds' self time in the
 * hot path's profile went from 938 to 658 ms: BENCHMARKS.md, "Changes of 2026-12-07, afternoon").
 */
type KeyIndex = Map<string | number, unknown>

/** The next level under `part`, made when missing. */
function level(index: KeyIndex, part: string | number): KeyIndex {
  let next = index.get(part) as KeyIndex | undefined
  if (next === undefined) {
    next = new Map()
    index.set(part, next)
  }
  return next
}

/** One minute's rows of the three tables, one per key, as contributions add into them; in the order keys first came. */
export class WindowRows {
  readonly qoe: QoeRow[] = []
  readonly engagement: EngagementRow[] = []
  readonly events: EventCountRow[] = []
  /** window start → device → country → CDN → row of qoe. */
  readonly qoeIndex: KeyIndex = new Map()
  /** window start → row id → test:cell → row of engagement. */
  readonly engagementIndex: KeyIndex = new Map()
  /** window start → event type → device → country → CDN → row of events. */
  readonly eventsIndex: KeyIndex = new Map()

  /** The rows as plain rows; with `combine`, as partial sums a segment adds up per key (corrections). */
  rows(combine: boolean): DerivedRow[] {
    const out: DerivedRow[] = []
    for (const row of this.qoe) out.push(derived('qoe_1m', row, combine ? { key: `${row.minute}|${row.device_type}|${row.country}|${row.cdn}`, measures: QOE_MEASURES } : undefined))
    for (const row of this.engagement) out.push(derived('engagement_1m', row, combine ? { key: `${row.minute}|${row.row_id}|${row.ab_test_id}|${row.ab_cell}`, measures: ENGAGEMENT_MEASURES } : undefined))
    for (const row of this.events) out.push(derived('client_events_1m', row, combine ? { key: `${row.minute}|${row.event_type}|${row.device_type}|${row.country}|${row.cdn}`, measures: EVENT_COUNT_MEASURES } : undefined))
    return out
  }
}

function derived(table: string, row: object, combine: { key: string; measures: readonly string[] } | undefined): DerivedRow {
  return combine === undefined ? { table, row: row as Row } : { table, row: row as Row, combine: { key: combine.key, how: 'sum', measures: combine.measures } }
}

const QOE_MEASURES = ['play_attempts', 'plays', 'failed_plays', 'rebuffer_events', 'rebuffer_ms', 'played_ms', 'glitches', 'errors', 'startup_ms_hist', 'corrections']
const ENGAGEMENT_MEASURES = ['impressions', 'clicks', 'plays', 'played_ms', 'completions', 'autoplay_next', 'corrections']
const EVENT_COUNT_MEASURES = ['events']

/** Adds the event's qoe_1m measures into its key's row; events with nothing to count add no row. */
export function foldQoe(c: Contribution, into: WindowRows): void {
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
  if (play_attempts + plays + failed_plays + rebuffer_events + rebuffer_ms + c.playedMs + glitches + errors === 0 && !c.late) return
  const minute = minuteText(c.windowStart)
  // Playback events after the first may omit the CDN; the session's first event names it.
  const cdn = event.cdn ?? session?.first.cdn ?? ''
  const byCdn = level(level(level(into.qoeIndex, c.windowStart), event.device_type), event.country)
  let row = byCdn.get(cdn) as QoeRow | undefined
  if (row === undefined) {
    // Keys in the table's column order, so the row can wait as encoded bytes (row-buffer.ts).
    row = {
      minute, device_type: event.device_type, country: event.country, cdn,
      play_attempts: 0, plays: 0, failed_plays: 0, startup_ms_hist: {}, rebuffer_events: 0, rebuffer_ms: 0, played_ms: 0, glitches: 0, errors: 0,
      corrections: 0,
    }
    byCdn.set(cdn, row)
    into.qoe.push(row)
  }
  row.play_attempts += play_attempts
  row.plays += plays
  row.failed_plays += failed_plays
  row.rebuffer_events += rebuffer_events
  row.rebuffer_ms += rebuffer_ms
  row.played_ms += c.playedMs
  row.glitches += glitches
  row.errors += errors
  if (c.late) row.corrections++
  if (type === 'playback_start' && event.duration_ms !== null) {
    const bucket = logBucket(event.duration_ms)
    row.startup_ms_hist[bucket] = (row.startup_ms_hist[bucket] ?? 0) + 1
  }
}

/** Adds the event's engagement_1m measures into one row per A/B cell of its app session. */
export function foldEngagement(c: Contribution, into: WindowRows): void {
  const { event } = c
  const type = event.event_type
  const impressions = type === 'row_impression' ? 1 : 0
  const clicks = type === 'title_click' ? 1 : 0
  const plays = type === 'playback_start' ? 1 : 0
  const completions = type === 'playback_stop' && event.exit_reason === 'completed' ? 1 : 0
  const autoplay_next = type === 'playback_stop' && event.exit_reason === 'autoplay_next' ? 1 : 0
  if (impressions + clicks + plays + c.playedMs + completions + autoplay_next === 0) return
  const row_id = event.row_id ?? ''
  const minute = minuteText(c.windowStart)
  const cells = c.abCells.length === 0 ? NO_TEST : c.abCells
  const byCell = level(level(into.engagementIndex, c.windowStart), row_id)
  for (const testCell of cells) {
    let row = byCell.get(testCell) as EngagementRow | undefined
    if (row === undefined) {
      const [ab_test_id, ab_cell] = splitCell(testCell)
      row = { minute, ab_test_id, ab_cell, row_id, impressions: 0, clicks: 0, plays: 0, played_ms: 0, completions: 0, autoplay_next: 0, corrections: 0 }
      byCell.set(testCell, row)
      into.engagement.push(row)
    }
    row.impressions += impressions
    row.clicks += clicks
    row.plays += plays
    row.played_ms += c.playedMs
    row.completions += completions
    row.autoplay_next += autoplay_next
    if (c.late) row.corrections++
  }
}

/** One more event of its type in client_events_1m (every raw row counts, too-late ones included). */
export function foldEventCount(event: ClientEvent, windowStart: number, into: WindowRows): void {
  const minute = Math.floor(windowStart / 1000)
  const cdn = event.cdn ?? ''
  const byCdn = level(level(level(level(into.eventsIndex, windowStart), event.event_type), event.device_type), event.country)
  let row = byCdn.get(cdn) as EventCountRow | undefined
  if (row === undefined) {
    row = { minute, event_type: event.event_type, device_type: event.device_type, country: event.country, cdn, events: 0 }
    byCdn.set(cdn, row)
    into.events.push(row)
  }
  row.events++
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
