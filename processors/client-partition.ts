// Event-time processing of the client events of one source partition: drop duplicates, classify
// arrival against the partition's watermark, fold playback sessions and per-minute windows, and
// derive the raw row, the rows of windows the watermark closes (once per key), late corrections,
// ended sessions and care actions. All state is a function of the partition's records in order, so
// it can be restored at a checkpoint (see restore.ts) and replayed exactly.
import type { ClientEvent } from '../schemas/types.ts'
import type { DerivedRow } from '../pipeline/rows.ts'
import type { EndedSession } from '../pipeline/state.ts'
import { foldEngagement, foldEventCount, foldQoe, WindowRows } from './aggregates/client-aggregates.ts'
import { MinuteWindows } from './aggregates/minute-windows.ts'
import { comparePositions } from '../pipeline/position.ts'
import { DedupWindow } from './event-time/dedup.ts'
import { PartitionClock, type Arrival, type ClockSettings } from './event-time/partition-clock.ts'
import { careActionRow, problemsOf } from './sessions/care.ts'
import { DeadlineQueue } from './sessions/deadline-queue.ts'
import { PlaybackSession } from './sessions/playback-session.ts'

export interface ClientProcessingSettings extends ClockSettings {
  dedupHorizonMs: number
  /** How long flows wait before enrichment, for late IP assignments (see StreamProcessor). */
  enrichHoldBackMs: number
  sessionTimeoutMs: number
  careRebufferRatio: number
  /** Without events this long (processing time), the partition's watermark follows the clock; 0 or absent: never. */
  idleTimeoutMs?: number
  /** False: raw rows only (no windows, sessions or care), for measuring what they cost. Default true. */
  derived?: boolean
}

/**
 * How far back in event time a partition's state reaches: duplicate ids, open and recently ended
 * sessions, the A/B cells of app sessions active since. A restore reads back exactly this much.
 */
export function stateHorizonMs(settings: ClientProcessingSettings): number {
  const { dedupHorizonMs, sessionTimeoutMs, windowMs, allowedLatenessMs, outOfOrdernessMs } = settings
  return Math.max(dedupHorizonMs, sessionTimeoutMs, windowMs + allowedLatenessMs) + outOfOrdernessMs
}

/** What a checkpoint keeps of a partition's state (JSON); the rest is rebuilt from the sink (restore.ts). */
export interface PartitionCheckpointState {
  highestEventTime: number
  /**
   * Where the open windows were last written as they stood (shutdown, revocation): events at or
   * before it are already in the per-minute tables, so a restore folds only later ones into windows.
   */
  windowsFlushedAt?: string
}

export interface ClientOutcome {
  rows: DerivedRow[]
  arrival: Arrival | 'duplicate'
}

export class ClientPartition {
  readonly clock: PartitionClock
  readonly dedup: DedupWindow
  readonly sessions = new Map<string, PlaybackSession>()
  /**
   * Sessions that ended, kept until no event of theirs can still be folded (the watermark has passed
   * their last event's window by the allowed lateness), so that an event of a playback arriving after
   * its stop (client batching reorders sends by seconds) neither reopens it as a new session nor
   * counts its error as a failed start. Restoring rebuilds them from the same events.
   */
  readonly endedSessions = new Map<string, PlaybackSession>()
  /**
   * Open sessions of a Kinesis shard's parents (a split or merge), carried on here: one becomes this
   * partition's own when an event of it arrives (its key hashes here); the others went to a sibling
   * and are never written from here (their rows stand as the parent or the sibling wrote them).
   */
  private readonly inherited = new Map<string, PlaybackSession>()
  /**
   * Open and ended sessions by when they may time out or be forgotten. An entry's deadline is never
   * later than its session's (a session's last event time only grows), so a sweep pops just the due
   * ones and puts back those that moved on; an entry whose session left its map is dropped.
   */
  private readonly openDeadlines = new DeadlineQueue<PlaybackSession>()
  private readonly endedDeadlines = new DeadlineQueue<PlaybackSession>()
  /** A/B cells per app session, learned from ab_allocation events (see AppSessionCells). */
  private readonly cells = new Map<string, AppSessionCells>()
  /** On-time contributions of the minutes the watermark has not closed yet. */
  readonly windows: MinuteWindows
  private nextSweep = Number.NEGATIVE_INFINITY
  private nextCellSweep = Number.NEGATIVE_INFINITY
  private windowsFlushedAt: string | undefined

  constructor(
    private readonly settings: ClientProcessingSettings,
    restored?: PartitionCheckpointState,
  ) {
    this.clock = new PartitionClock(settings, restored?.highestEventTime)
    this.dedup = new DedupWindow(settings.dedupHorizonMs)
    this.windows = new MinuteWindows(settings.windowMs)
    this.windowsFlushedAt = restored?.windowsFlushedAt
  }

  /**
   * Carries on the per-key state of a parent shard at its end: its open sessions (see `inherited`),
   * its recently ended ones, its app sessions' A/B cells and its recent event ids. Not its windows:
   * the parent wrote them as they stood when it finished, and per-minute rows add up.
   */
  inherit(parent: ClientPartition): void {
    for (const source of [parent.sessions, parent.inherited]) {
      for (const [id, session] of source) if (!this.knows(id)) this.inherited.set(id, session)
    }
    for (const [id, session] of parent.endedSessions) if (!this.knows(id)) this.keepEnded(session)
    for (const [appSession, cells] of parent.cells) if (!this.cells.has(appSession)) this.cells.set(appSession, cells)
    this.dedup.absorb(parent.dedup)
  }

  /** Parents' open sessions not (yet) continued here. */
  get inheritedSessions(): number {
    return this.inherited.size
  }

  private knows(sessionId: string): boolean {
    return this.sessions.has(sessionId) || this.endedSessions.has(sessionId) || this.inherited.has(sessionId)
  }

  /** The state a checkpoint after the latest record keeps. */
  checkpointState(): PartitionCheckpointState {
    const highestEventTime = this.clock.highestEventTime
    return this.windowsFlushedAt === undefined ? { highestEventTime } : { highestEventTime, windowsFlushedAt: this.windowsFlushedAt }
  }

  /** Processes one event; `raw` builds its raw row with the arrival class. */
  process(event: ClientEvent, raw: (arrival: Arrival) => DerivedRow): ClientOutcome {
    if (this.dedup.isDuplicate(event.event_id, event.event_time, this.clock.highestEventTime)) return { rows: [], arrival: 'duplicate' }
    const arrival = this.clock.observe(event.event_time)
    const rows = [raw(arrival)]
    if (this.settings.derived === false) return { rows, arrival }
    if (arrival === 'too_late') rows.push(...tooLateCount(event, this.clock.windowStart(event.event_time)))
    else rows.push(...this.fold(event, arrival === 'late'))
    // Closed by this event's watermark, in this record's block: a replay closes them at the same record.
    rows.push(...this.windows.closeThrough(this.clock.watermark))
    rows.push(...this.sweepTimeouts())
    this.sweepCells(this.clock.highestEventTime)
    return { rows, arrival }
  }

  /**
   * The partition has been quiet: event time follows the clock to `nowMs`, so windows it passes close
   * and sessions idle past their timeout end. The clock moves only when that closes something: then
   * the rows are a snapshot block whose checkpoint keeps the new watermark (and a crash in between
   * derives it again from its label), so no record is ever classified against a watermark that no
   * checkpoint or replay knows of.
   */
  idle(nowMs: number): DerivedRow[] {
    const watermark = nowMs - this.clock.outOfOrdernessMs
    if (watermark <= this.clock.watermark || !this.wouldClose(watermark)) return []
    this.clock.advanceTo(nowMs)
    this.nextSweep = Number.NEGATIVE_INFINITY
    return [...this.windows.closeThrough(this.clock.watermark), ...this.sweepTimeouts()]
  }

  private wouldClose(watermark: number): boolean {
    if (this.windows.nextEnd <= watermark) return true
    for (const session of this.sessions.values()) if (session.lastEventTime + this.settings.sessionTimeoutMs < watermark) return true
    return false
  }

  /**
   * Applies an event already written (at `position`) to the state only, as when restoring. Its
   * contributions go back into its window if that window is still open at the restored watermark
   * (then the event was on time, and the window's row is not written yet) and the window was not
   * written as it stood after it (shutdown).
   */
  restore(event: ClientEvent, position: string): void {
    this.dedup.isDuplicate(event.event_id, event.event_time, this.clock.highestEventTime)
    const windowStart = this.clock.windowStart(event.event_time)
    const open = windowStart + this.settings.windowMs > this.clock.watermark && !this.flushedBefore(position)
    // Most of a restore's events are in windows already written: only their sessions and cells matter.
    if (!open) {
      this.applyToState(event)
      return
    }
    this.contribute(event, false, this.windows.at(windowStart))
  }

  /** The open windows as rows, written as they stand at `position` (shutdown, revocation), and forgotten. */
  flushWindows(position: string): DerivedRow[] {
    this.windowsFlushedAt = position
    return this.windows.flushAll()
  }

  /**
   * Closes sessions known to be over: ended by a stop during restore, or written as ended (by a
   * timeout) with no event the restored state lacks. A row that saw later events came from a block
   * past the committed position that landed before a crash: the replay of that block ends the
   * session again, and must fold its events' played time into the open minutes on the way.
   */
  dropSessions(ended: readonly EndedSession[]): void {
    for (const { sessionId, endTime } of ended) {
      const session = this.sessions.get(sessionId)
      if (session !== undefined && endTime <= session.lastEventTime) session.timeOut()
      const inherited = this.inherited.get(sessionId)
      if (inherited !== undefined && endTime <= inherited.lastEventTime) this.inherited.delete(sessionId)
    }
    for (const [id, session] of this.sessions) {
      if (!session.ended) continue
      this.sessions.delete(id)
      this.keepEnded(session)
    }
  }

  /** Rows for every open session as it stands (ended = 0), written on shutdown and replaced later. */
  openSessionRows(): DerivedRow[] {
    return [...this.sessions.values()].map((session) => sessionRow(session))
  }

  /** On time: the contributions wait in the window. Late: they are correction rows now. */
  private fold(event: ClientEvent, late: boolean): DerivedRow[] {
    const wasEnded = event.playback_id !== null && this.endedSessions.has(event.playback_id)
    const corrections = late ? new WindowRows() : undefined
    const session = this.contribute(event, late, corrections ?? this.windows.at(this.clock.windowStart(event.event_time)))
    const rows = corrections === undefined ? [] : corrections.rows(true)
    if (session?.ended === true && !wasEnded) rows.push(...this.finish(session))
    return rows
  }

  /** Folds the event into its session and A/B cells, and adds its per-minute contributions `into` the window's rows. */
  private contribute(event: ClientEvent, late: boolean, into: WindowRows): PlaybackSession | undefined {
    const { session, playedMs } = this.applyToState(event)
    const abCells = this.abCellsOf(event)
    const windowStart = this.clock.windowStart(event.event_time)
    const contribution = { event, session, windowStart, playedMs, late, abCells }
    foldEventCount(event, windowStart, into)
    foldQoe(contribution, into)
    foldEngagement(contribution, into)
    return session
  }

  private flushedBefore(position: string): boolean {
    return this.windowsFlushedAt !== undefined && comparePositions(position, this.windowsFlushedAt) <= 0
  }

  private applyToState(event: ClientEvent): { session: PlaybackSession | undefined; playedMs: number } {
    if (event.event_type === 'ab_allocation' && event.ab_test_id !== null && event.ab_cell !== null) {
      let cells = this.cells.get(event.app_session_id)
      if (cells === undefined) {
        cells = { tests: new Map(), list: undefined, lastEventTime: event.event_time }
        this.cells.set(event.app_session_id, cells)
      }
      cells.tests.set(event.ab_test_id, event.ab_cell)
      cells.list = undefined
    }
    if (event.playback_id === null) return { session: undefined, playedMs: 0 }
    let session = this.sessions.get(event.playback_id) ?? this.endedSessions.get(event.playback_id) ?? this.adoptInherited(event.playback_id)
    if (session === undefined) {
      session = new PlaybackSession(event, this.abCellsOf(event))
      this.keepOpen(session)
    }
    const playedMs = session.apply(event)
    return { session, playedMs }
  }

  private adoptInherited(sessionId: string): PlaybackSession | undefined {
    const session = this.inherited.get(sessionId)
    if (session === undefined) return undefined
    this.inherited.delete(sessionId)
    this.keepOpen(session)
    return session
  }

  /** The event's app session's sorted test:cell pairs; notes the app session as active at the event. */
  private abCellsOf(event: ClientEvent): readonly string[] {
    const cells = this.cells.get(event.app_session_id)
    if (cells === undefined) return NO_CELLS
    if (event.event_time > cells.lastEventTime) cells.lastEventTime = event.event_time
    cells.list ??= [...cells.tests].map(([test, cell]) => `${test}:${cell}`).sort()
    return cells.list
  }

  /**
   * Forgets the cells of app sessions with no event within the state horizon (stateHorizonMs) of
   * event time, checked once a minute of event time. A restore brings back only the cells of app sessions active within that
   * horizon, so keeping more in memory would make a restarted processor answer differently (and a
   * processor that runs for weeks would keep every app session it ever saw).
   */
  private sweepCells(highestEventTime: number): void {
    if (highestEventTime < this.nextCellSweep) return
    this.nextCellSweep = highestEventTime + CELL_SWEEP_MS
    const cutoff = highestEventTime - stateHorizonMs(this.settings)
    for (const [appSessionId, cells] of this.cells) if (cells.lastEventTime < cutoff) this.cells.delete(appSessionId)
  }

  private finish(session: PlaybackSession): DerivedRow[] {
    this.sessions.delete(session.sessionId)
    this.keepEnded(session)
    const rows = [sessionRow(session)]
    const care = careActionRow(session, problemsOf(session, this.settings.careRebufferRatio), session.lastEventTime)
    if (care !== undefined) rows.push({ table: 'care_actions', row: care, combine: { key: session.sessionId, how: 'replace' } })
    return rows
  }

  private keepOpen(session: PlaybackSession): void {
    this.sessions.set(session.sessionId, session)
    this.openDeadlines.push(session.lastEventTime + this.settings.sessionTimeoutMs, session)
  }

  private keepEnded(session: PlaybackSession): void {
    this.endedSessions.set(session.sessionId, session)
    this.endedDeadlines.push(session.lastEventTime + this.settings.windowMs + this.settings.allowedLatenessMs, session)
  }

  /** Ends sessions idle past the timeout by the watermark; checked once per second of event time. */
  private sweepTimeouts(): DerivedRow[] {
    const watermark = this.clock.watermark
    if (watermark < this.nextSweep) return []
    this.nextSweep = watermark + 1000
    this.forgetEnded(watermark)
    // A sibling's session times out there, not here.
    for (const [id, session] of this.inherited) if (session.lastEventTime + this.settings.sessionTimeoutMs < watermark) this.inherited.delete(id)
    const rows: DerivedRow[] = []
    const timeoutMs = this.settings.sessionTimeoutMs
    for (let session = this.openDeadlines.popBefore(watermark); session !== undefined; session = this.openDeadlines.popBefore(watermark)) {
      if (this.sessions.get(session.sessionId) !== session) continue
      if (session.lastEventTime + timeoutMs < watermark) {
        session.timeOut()
        rows.push(...this.finish(session))
      } else {
        this.openDeadlines.push(session.lastEventTime + timeoutMs, session)
      }
    }
    return rows
  }

  /** Past this, every event of an ended session is too late and never reaches it. */
  private forgetEnded(watermark: number): void {
    for (let session = this.endedDeadlines.popBefore(watermark); session !== undefined; session = this.endedDeadlines.popBefore(watermark)) {
      if (this.endedSessions.get(session.sessionId) === session) this.endedSessions.delete(session.sessionId)
    }
  }
}

const NO_CELLS: readonly string[] = []

/** A too-late event still counts in client_events_1m, as a correction row of its window. */
function tooLateCount(event: ClientEvent, windowStart: number): DerivedRow[] {
  const rows = new WindowRows()
  foldEventCount(event, windowStart, rows)
  return rows.rows(true)
}
const CELL_SWEEP_MS = 60_000

/** An app session's A/B cells: test id → cell, the sorted `test:cell` list (built once per change), and its latest event time. */
interface AppSessionCells {
  tests: Map<string, string>
  list: string[] | undefined
  lastEventTime: number
}

function sessionRow(session: PlaybackSession): DerivedRow {
  // Versions grow with the session's last event, and an ended row outranks an open one.
  const version = session.lastEventTime * 2 + (session.ended ? 1 : 0)
  return { table: 'playback_sessions', row: session.toRow(version), combine: { key: session.sessionId, how: 'replace' } }
}
