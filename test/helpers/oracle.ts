// An independent reading of Pulse's event-time semantics (DESIGN.md "Semantics", issue 4), for the
// correctness suite: given the records exactly as they were produced, in send order, it computes what
// qoe_1m, engagement_1m, playback_sessions, care_actions and flows_1m must hold, and what the per-title
// engagement view over client_events must show. It deliberately
// shares no code with processors/: plain loops and group-bys over the produced events.
//
// Arrival classes are decided by the test's construction, not recomputed here: the workload keeps every
// generated event well inside the allowed lateness (checked by `assertNeverTooLate`), and the test
// injects a few events hours older than everything else, which must come out too_late.
import type { ClientEvent, NetworkFlow } from '../../schemas/types.ts'
import type { FleetTruth } from '../../producers/generators/index.ts'

export interface OracleSettings {
  windowMs: number
  /** A session rebuffering more than this share of (played + rebuffering) time went bad. */
  careRebufferRatio: number
}

export interface QoeSums {
  play_attempts: number
  plays: number
  failed_plays: number
  rebuffer_events: number
  rebuffer_ms: number
  played_ms: number
  glitches: number
  errors: number
  /** Log-scale bucket (four per doubling of milliseconds) → playback starts. */
  startup_ms_hist: Record<string, number>
}

export interface EngagementSums {
  impressions: number
  clicks: number
  plays: number
  played_ms: number
  completions: number
  autoplay_next: number
}

/** Per title and row, counted from the raw events (title_engagement_1m_v). */
export interface TitleEngagementSums {
  impressions: number
  clicks: number
  plays: number
  completions: number
  autoplay_next: number
}

export interface SessionRow {
  session_id: string
  profile_id: string
  device_id: string
  device_type: string
  app_session_id: string
  title_id: string
  country: string
  isp: string
  cdn: string
  ab_cells: string[]
  start_time: number
  end_time: number
  started: number
  startup_ms: number | null
  rebuffer_count: number
  rebuffer_ms: number
  played_ms: number
  rebuffer_ratio: number
  avg_bitrate_kbps: number | null
  peak_bitrate_kbps: number | null
  errors: number
  glitches: number
  exit_reason: string
  autoplay_next: number
  ended: number
}

export interface CareRow {
  session_id: string
  profile_id: string
  action_time: number
  problems: string[]
  remedy: string
}

export interface FlowSums {
  flows: number
  packets: number
  bytes: number
}

export interface ClientExpectation {
  /** First occurrence of every event id, in send order (too-late ones included): client_events. */
  kept: ClientEvent[]
  /** Repeated sends of an id already seen, dropped. */
  duplicates: number
  /** Ids of the kept events that are too late (left out of every aggregate and session). */
  tooLate: string[]
  /** minute|device|country|cdn → sums (no title: migration 012). */
  qoe: Map<string, QoeSums>
  /** minute|row|test|cell → sums. */
  engagement: Map<string, EngagementSums>
  /** minute|title|row → sums, each event once, under the title and row it was sent with. */
  titleEngagement: Map<string, TitleEngagementSums>
  /** Sessions ended by a playback_stop. */
  ended: Map<string, SessionRow>
  /** Sessions still running at the end (written as ended = 0 on a clean shutdown). */
  open: Map<string, SessionRow>
  care: Map<string, CareRow>
}

/** Histogram bucket of a duration: floor(4 · log2(ms)), 0 below 1 ms (recomputed, not imported). */
export function bucketOf(ms: number): number {
  return ms < 1 ? 0 : Math.floor(Math.log2(ms) * 4)
}

/** Oracle's own playback session: the fold of the playback's events in stream order. */
interface Session {
  id: string
  first: ClientEvent
  cells: string[]
  start: number
  last: number
  state: 'starting' | 'playing' | 'stalled' | 'paused' | 'ended'
  /** Event time up to which playing time has been counted (never moves back). */
  countedTo: number
  started: boolean
  startupMs: number | null
  rebuffers: number
  rebufferMs: number
  playedMs: number
  bitrate: number | null
  bitrateTimesMs: number
  bitrateMs: number
  peak: number | null
  errors: number
  glitches: number
  exitReason: string
  autoplayNext: boolean
}

const STATE_AFTER: Partial<Record<ClientEvent['event_type'], Session['state']>> = {
  playback_start: 'playing',
  rebuffer_start: 'stalled',
  rebuffer_end: 'playing',
  pause: 'paused',
  resume: 'playing',
  playback_stop: 'ended',
}

/**
 * Applies one event to its session and returns the playing time it closes. Semantics: time counts
 * as played while the session is in the playing state, in event time, from the later of the last
 * counted instant and the phase's start up to the event's time; an event older than what has been
 * counted closes nothing (out of order). The average bitrate weighs each closed interval by the
 * bitrate in force before the event. Once a session has stopped, later events of it change nothing.
 */
function fold(session: Session, event: ClientEvent): number {
  if (session.state === 'ended') return 0
  const t = event.event_time
  let closed = 0
  if (session.state === 'playing' && t > session.countedTo) {
    closed = t - session.countedTo
    session.playedMs += closed
    if (session.bitrate !== null) {
      session.bitrateMs += session.bitrate * closed
      session.bitrateTimesMs += closed
    }
    session.countedTo = t
  }
  if (t < session.start) session.start = t
  if (t > session.last) session.last = t
  if (event.bitrate_kbps !== null) {
    session.bitrate = event.bitrate_kbps
    session.peak = session.peak === null ? event.bitrate_kbps : Math.max(session.peak, event.bitrate_kbps)
  }
  const type = event.event_type
  if (type === 'playback_start') {
    session.started = true
    session.startupMs = event.duration_ms
  } else if (type === 'rebuffer_start') session.rebuffers += 1
  else if (type === 'rebuffer_end') session.rebufferMs += event.duration_ms ?? 0
  else if (type === 'audio_glitch' || type === 'video_glitch') session.glitches += 1
  else if (type === 'playback_error') session.errors += 1
  else if (type === 'autoplay_next') session.autoplayNext = true
  else if (type === 'playback_stop') {
    session.exitReason = event.exit_reason ?? ''
    if (session.exitReason === 'autoplay_next') session.autoplayNext = true
  }
  const next = STATE_AFTER[type]
  if (next !== undefined) {
    session.state = next
    session.countedTo = Math.max(session.countedTo, t)
  }
  return closed
}

function rebufferRatio(session: Session): number {
  const total = session.playedMs + session.rebufferMs
  return total === 0 ? 0 : session.rebufferMs / total
}

function sessionRow(session: Session): SessionRow {
  const first = session.first
  return {
    session_id: session.id,
    profile_id: first.profile_id,
    device_id: first.device_id,
    device_type: first.device_type,
    app_session_id: first.app_session_id,
    title_id: first.title_id ?? '',
    country: first.country,
    isp: first.isp,
    cdn: first.cdn ?? '',
    ab_cells: session.cells,
    start_time: session.start,
    end_time: session.last,
    started: session.started ? 1 : 0,
    startup_ms: session.startupMs,
    rebuffer_count: session.rebuffers,
    rebuffer_ms: session.rebufferMs,
    played_ms: session.playedMs,
    rebuffer_ratio: rebufferRatio(session),
    avg_bitrate_kbps: session.bitrateTimesMs === 0 ? null : session.bitrateMs / session.bitrateTimesMs,
    peak_bitrate_kbps: session.peak,
    errors: session.errors,
    glitches: session.glitches,
    exit_reason: session.exitReason,
    autoplay_next: session.autoplayNext ? 1 : 0,
    ended: session.state === 'ended' ? 1 : 0,
  }
}

/** What went wrong, worst first: a failed start outranks a later error; rebuffering; glitches. */
function careRow(session: Session, threshold: number): CareRow | undefined {
  const problems: string[] = []
  const failedStart = !session.started && (session.errors > 0 || session.exitReason === 'error')
  if (failedStart) problems.push('failed_start')
  else if (session.errors > 0) problems.push('playback_error')
  if (rebufferRatio(session) > threshold) problems.push('rebuffering')
  if (session.glitches > 0) problems.push('glitch')
  if (problems.length === 0) return undefined
  const remedy = problems[0] === 'rebuffering' ? 'network_check' : problems[0] === 'glitch' ? 'apology' : 'credit'
  return { session_id: session.id, profile_id: session.first.profile_id, action_time: session.last, problems, remedy }
}

function addTo<T extends object>(map: Map<string, T>, key: string, sums: T): void {
  const existing = map.get(key) as Record<string, unknown> | undefined
  if (existing === undefined) {
    map.set(key, structuredClone(sums))
    return
  }
  for (const [column, value] of Object.entries(sums)) {
    if (typeof value === 'number') existing[column] = (existing[column] as number) + value
    else {
      const histogram = existing[column] as Record<string, number>
      for (const [bucket, n] of Object.entries(value as Record<string, number>)) histogram[bucket] = (histogram[bucket] ?? 0) + n
    }
  }
}

/** True when every measure is zero: such a row adds nothing to any sum. */
export function isEmptyRow(sums: object): boolean {
  return Object.values(sums).every((value) => (typeof value === 'number' ? value === 0 : Object.keys(value as object).length === 0))
}

/**
 * Expected contents of the client-event tables. `produced` is every client event in send order
 * (retried sends included); `tooLate` names the injected events that arrive past the allowed lateness.
 */
export function expectClientTables(produced: readonly ClientEvent[], tooLate: ReadonlySet<string>, settings: OracleSettings): ClientExpectation {
  const seen = new Set<string>()
  const kept: ClientEvent[] = []
  let duplicates = 0
  for (const event of produced) {
    if (seen.has(event.event_id)) {
      duplicates++
      continue
    }
    seen.add(event.event_id)
    kept.push(event)
  }

  // A/B cells per app session (test → cell), learned from its allocations in stream order.
  const cells = new Map<string, Map<string, string>>()
  const cellsOf = (appSession: string): string[] => [...(cells.get(appSession) ?? new Map<string, string>())].map(([test, cell]) => `${test}:${cell}`).sort()
  const sessions = new Map<string, Session>()
  const qoe = new Map<string, QoeSums>()
  const engagement = new Map<string, EngagementSums>()
  const titleEngagement = new Map<string, TitleEngagementSums>()

  for (const event of kept) {
    if (tooLate.has(event.event_id)) continue
    if (event.event_type === 'ab_allocation' && event.ab_test_id !== null && event.ab_cell !== null) {
      const tests = cells.get(event.app_session_id) ?? new Map<string, string>()
      tests.set(event.ab_test_id, event.ab_cell)
      cells.set(event.app_session_id, tests)
    }
    let session: Session | undefined
    let playedMs = 0
    if (event.playback_id !== null) {
      session = sessions.get(event.playback_id)
      if (session === undefined) {
        const t = event.event_time
        session = {
          id: event.playback_id,
          first: event,
          cells: cellsOf(event.app_session_id),
          start: t,
          last: t,
          state: 'starting',
          countedTo: t,
          started: false,
          startupMs: null,
          rebuffers: 0,
          rebufferMs: 0,
          playedMs: 0,
          bitrate: null,
          bitrateTimesMs: 0,
          bitrateMs: 0,
          peak: null,
          errors: 0,
          glitches: 0,
          exitReason: '',
          autoplayNext: false,
        }
        sessions.set(event.playback_id, session)
      }
      playedMs = fold(session, event)
    }

    // Per-minute rows: the event's own event-time minute (window start, in seconds); played time goes
    // to the minute of the event that closed the playing interval. A CDN the event lacks comes from its
    // playback's first event.
    const minute = (Math.floor(event.event_time / settings.windowMs) * settings.windowMs) / 1000
    const type = event.event_type
    const cdn = event.cdn ?? session?.first.cdn ?? ''
    // A failed play is an error of a playback that has not started (judged after the event; for an
    // event arriving after its playback's stop, by the stopped session: it is not reopened).
    const q: QoeSums = {
      play_attempts: type === 'play_request' ? 1 : 0,
      plays: type === 'playback_start' ? 1 : 0,
      failed_plays: type === 'playback_error' && session !== undefined && !session.started ? 1 : 0,
      rebuffer_events: type === 'rebuffer_start' ? 1 : 0,
      rebuffer_ms: type === 'rebuffer_end' ? (event.duration_ms ?? 0) : 0,
      played_ms: playedMs,
      glitches: type === 'audio_glitch' || type === 'video_glitch' ? 1 : 0,
      errors: type === 'playback_error' ? 1 : 0,
      startup_ms_hist: type === 'playback_start' && event.duration_ms !== null ? { [bucketOf(event.duration_ms)]: 1 } : {},
    }
    if (!isEmptyRow(q)) addTo(qoe, `${minute}|${event.device_type}|${event.country}|${cdn}`, q)

    const e: EngagementSums = {
      impressions: type === 'row_impression' ? 1 : 0,
      clicks: type === 'title_click' ? 1 : 0,
      plays: type === 'playback_start' ? 1 : 0,
      played_ms: playedMs,
      completions: type === 'playback_stop' && event.exit_reason === 'completed' ? 1 : 0,
      autoplay_next: type === 'playback_stop' && event.exit_reason === 'autoplay_next' ? 1 : 0,
    }
    if (!isEmptyRow(e)) {
      // An event counts once for each A/B test its app session is in (cell ''/'' when in none).
      const pairs = cellsOf(event.app_session_id)
      for (const pair of pairs.length === 0 ? [':'] : pairs) {
        const [test, cell] = pair.split(':') as [string, string]
        addTo(engagement, `${minute}|${event.row_id ?? ''}|${test}|${cell}`, e)
      }
    }
    const t: TitleEngagementSums = { impressions: e.impressions, clicks: e.clicks, plays: e.plays, completions: e.completions, autoplay_next: e.autoplay_next }
    if (!isEmptyRow(t)) addTo(titleEngagement, `${minute}|${event.title_id ?? ''}|${event.row_id ?? ''}`, t)
  }

  const ended = new Map<string, SessionRow>()
  const open = new Map<string, SessionRow>()
  const care = new Map<string, CareRow>()
  for (const session of sessions.values()) {
    const row = sessionRow(session)
    if (session.state !== 'ended') {
      open.set(session.id, row)
      continue
    }
    ended.set(session.id, row)
    const action = careRow(session, settings.careRebufferRatio)
    if (action !== undefined) care.set(session.id, action)
  }
  return { kept, duplicates, tooLate: kept.filter((event) => tooLate.has(event.event_id)).map((event) => event.event_id), qoe, engagement, titleEngagement, ended, open, care }
}

/**
 * A precondition of the oracle: no generated event can be too late. On arrival, a partition's highest
 * event time is at most the event's own send time (everything before it on the stream was sent no
 * later), so the watermark is at most send − outOfOrderness; too late needs the watermark past the
 * event's window end plus the allowed lateness. Returns the events that could be too late (none expected).
 */
export function assertNeverTooLate(events: readonly ClientEvent[], processing: { outOfOrdernessMs: number; allowedLatenessMs: number }): ClientEvent[] {
  return events.filter((event) => event.client_send_time - processing.outOfOrdernessMs >= event.event_time + processing.allowedLatenessMs)
}

/**
 * Expected flows_1m: OK records only (NODATA/SKIPDATA carry no traffic), each attributed at both ends
 * to the owner of the address at the flow's start as the generator's own ground truth says
 * ('unknown' when nobody owned it), summed per (start minute, apps, port, protocol, action).
 */
export function expectFlowsPerMinute(flows: readonly NetworkFlow[], truth: FleetTruth): Map<string, FlowSums> {
  const sums = new Map<string, FlowSums>()
  for (const flow of flows) {
    if (flow.log_status !== 'OK' || flow.src_addr === null || flow.dst_addr === null) continue
    const at = flow.start * 1000
    const src = truth.ownerAt(flow.src_addr, at)?.app ?? 'unknown'
    const dst = truth.ownerAt(flow.dst_addr, at)?.app ?? 'unknown'
    const minute = Math.floor(flow.start / 60) * 60
    const key = `${minute}|${src}|${dst}|${flow.dst_port ?? 0}|${flow.protocol ?? 0}|${flow.action ?? ''}`
    addTo(sums, key, { flows: 1, packets: flow.packets ?? 0, bytes: flow.bytes ?? 0 })
  }
  return sums
}

/** Per title (and device, country, CDN) in the minute its playbacks started: title_qoe_1m_v. */
export interface TitleQoeSums extends QoeSums {
  completions: number
  autoplay_next: number
}

/**
 * Expected title_qoe_1m_v from the sessions the oracle expects (ended and still open): each session
 * is one attempt in its start minute, a play if it started, a failed play if it did not and had an
 * error; its start-up time goes to its histogram bucket.
 */
export function expectTitleQoe(sessions: Iterable<SessionRow>): Map<string, TitleQoeSums> {
  const sums = new Map<string, TitleQoeSums>()
  for (const session of sessions) {
    const minute = Math.floor(session.start_time / 60_000) * 60
    const key = `${minute}|${session.title_id}|${session.device_type}|${session.country}|${session.cdn}`
    addTo(sums, key, {
      play_attempts: 1,
      plays: session.started,
      failed_plays: session.started === 0 && session.errors > 0 ? 1 : 0,
      rebuffer_events: session.rebuffer_count,
      rebuffer_ms: session.rebuffer_ms,
      played_ms: session.played_ms,
      glitches: session.glitches,
      errors: session.errors,
      startup_ms_hist: session.startup_ms === null ? {} : { [bucketOf(session.startup_ms)]: 1 },
      completions: session.exit_reason === 'completed' ? 1 : 0,
      autoplay_next: session.autoplay_next,
    })
  }
  return sums
}
