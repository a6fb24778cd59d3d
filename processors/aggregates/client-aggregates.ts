// Per-minute partial rows of qoe_1m and engagement_1m contributed by one client event. Rows with the
// same key in a block are summed by the segment, and every block's partials add up in ClickHouse, so
// an event that arrives after its window closed simply contributes a correction row.
import type { ClientEvent } from '../../schemas/types.ts'
import type { DerivedRow } from '../../sinks/clickhouse/segments.ts'
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
  const sums = {
    play_attempts: event.event_type === 'play_request' ? 1 : 0,
    plays: event.event_type === 'playback_start' ? 1 : 0,
    failed_plays: event.event_type === 'playback_error' && session !== undefined && !session.started ? 1 : 0,
    rebuffer_events: event.event_type === 'rebuffer_start' ? 1 : 0,
    rebuffer_ms: event.event_type === 'rebuffer_end' ? (event.duration_ms ?? 0) : 0,
    played_ms: c.playedMs,
    glitches: event.event_type === 'audio_glitch' || event.event_type === 'video_glitch' ? 1 : 0,
    errors: event.event_type === 'playback_error' ? 1 : 0,
  }
  const startup = event.event_type === 'playback_start' && event.duration_ms !== null ? { [logBucket(event.duration_ms)]: 1 } : {}
  if (Object.values(sums).every((value) => value === 0) && !c.late) return undefined
  const first = session?.first
  const dims = {
    minute: minuteText(c.windowStart),
    title_id: event.title_id ?? first?.title_id ?? '',
    device_type: event.device_type,
    country: event.country,
    cdn: event.cdn ?? first?.cdn ?? '',
  }
  const key = `${dims.minute}|${dims.title_id}|${dims.device_type}|${dims.country}|${dims.cdn}`
  return { table: 'qoe_1m', row: { ...dims, ...sums, startup_ms_hist: startup, corrections: c.late ? 1 : 0 }, combine: { key, how: 'sum', measures: QOE_MEASURES } }
}

export function engagementContributions(c: Contribution): DerivedRow[] {
  const { event } = c
  const sums = {
    impressions: event.event_type === 'row_impression' ? 1 : 0,
    clicks: event.event_type === 'title_click' ? 1 : 0,
    plays: event.event_type === 'playback_start' ? 1 : 0,
    played_ms: c.playedMs,
    completions: event.event_type === 'playback_stop' && event.exit_reason === 'completed' ? 1 : 0,
    autoplay_next: event.event_type === 'playback_stop' && event.exit_reason === 'autoplay_next' ? 1 : 0,
  }
  if (Object.values(sums).every((value) => value === 0)) return []
  const title = event.title_id ?? c.session?.first.title_id ?? ''
  const row = event.row_id ?? ''
  const cells = c.abCells.length === 0 ? [''] : c.abCells
  return cells.map((testCell) => {
    const [test = '', cell = ''] = testCell === '' ? [] : testCell.split(':')
    const dims = { minute: minuteText(c.windowStart), title_id: title, row_id: row, ab_test_id: test, ab_cell: cell }
    const key = `${dims.minute}|${title}|${row}|${testCell}`
    return { table: 'engagement_1m', row: { ...dims, ...sums, corrections: c.late ? 1 : 0 }, combine: { key, how: 'sum', measures: ENGAGEMENT_MEASURES } }
  })
}

/** The window start as ClickHouse DateTime text ('YYYY-MM-DD hh:mm:ss', UTC). */
function minuteText(windowStart: number): string {
  return new Date(windowStart).toISOString().slice(0, 19).replace('T', ' ')
}
