// One playback session folded from its events, in the order the stream delivers them. Played time is
// the event time spent in the playing state; the average bitrate is weighted by that time. The fold
// only looks at the session's own events, so it can be rebuilt after a restart from the raw rows in
// ClickHouse, and checked by a test that folds the produced events on its own.
import type { ClientEvent } from '../../schemas/types.ts'
import type { Row } from '../../pipeline/rows.ts'

type Phase = 'starting' | 'playing' | 'stalled' | 'paused' | 'ended'

export class PlaybackSession {
  readonly sessionId: string
  readonly first: ClientEvent
  startTime: number
  lastEventTime: number
  phase: Phase = 'starting'
  started = false
  startupMs: number | null = null
  rebufferCount = 0
  rebufferMs = 0
  playedMs = 0
  bitrateMs = 0
  bitrateWeight = 0
  peakBitrate: number | null = null
  errors = 0
  glitches = 0
  exitReason = ''
  autoplayNext = false
  private currentBitrate: number | null = null
  private phaseSince: number

  constructor(first: ClientEvent, readonly abCells: readonly string[]) {
    this.sessionId = first.playback_id ?? ''
    this.first = first
    this.startTime = first.event_time
    this.lastEventTime = first.event_time
    this.phaseSince = first.event_time
  }

  get ended(): boolean {
    return this.phase === 'ended'
  }

  get rebufferRatio(): number {
    const total = this.playedMs + this.rebufferMs
    return total === 0 ? 0 : this.rebufferMs / total
  }

  /** Applies one event; returns the milliseconds of playing it closed (for per-minute played time). */
  apply(event: ClientEvent): number {
    if (this.ended) return 0
    const time = event.event_time
    const played = this.closePlaying(time)
    this.startTime = Math.min(this.startTime, time)
    this.lastEventTime = Math.max(this.lastEventTime, time)
    this.observeBitrate(event.bitrate_kbps)
    switch (event.event_type) {
      case 'playback_start':
        this.started = true
        this.startupMs = event.duration_ms
        this.enter('playing', time)
        break
      case 'rebuffer_start':
        this.rebufferCount++
        this.enter('stalled', time)
        break
      case 'rebuffer_end':
        this.rebufferMs += event.duration_ms ?? 0
        this.enter('playing', time)
        break
      case 'pause':
        this.enter('paused', time)
        break
      case 'resume':
        this.enter('playing', time)
        break
      case 'audio_glitch':
      case 'video_glitch':
        this.glitches++
        break
      case 'playback_error':
        this.errors++
        break
      case 'autoplay_next':
        this.autoplayNext = true
        break
      case 'playback_stop':
        this.exitReason = event.exit_reason ?? ''
        if (this.exitReason === 'autoplay_next') this.autoplayNext = true
        this.enter('ended', time)
        break
      default:
        break
    }
    return played
  }

  /** Ends the session for inactivity. */
  timeOut(): void {
    if (this.ended) return
    this.exitReason = 'timeout'
    this.phase = 'ended'
  }

  /** A failed start: the session errored (or was abandoned) before playback began. */
  get failedStart(): boolean {
    return !this.started && (this.errors > 0 || this.exitReason === 'error')
  }

  toRow(version: number): Row {
    const first = this.first
    return {
      session_id: this.sessionId,
      profile_id: first.profile_id,
      device_id: first.device_id,
      device_type: first.device_type,
      app_session_id: first.app_session_id,
      title_id: first.title_id ?? '',
      country: first.country,
      isp: first.isp,
      cdn: first.cdn ?? '',
      ab_cells: this.abCells,
      start_time: this.startTime,
      end_time: this.lastEventTime,
      started: this.started ? 1 : 0,
      startup_ms: this.startupMs,
      rebuffer_count: this.rebufferCount,
      rebuffer_ms: this.rebufferMs,
      played_ms: this.playedMs,
      rebuffer_ratio: this.rebufferRatio,
      avg_bitrate_kbps: this.bitrateWeight === 0 ? null : this.bitrateMs / this.bitrateWeight,
      peak_bitrate_kbps: this.peakBitrate,
      errors: this.errors,
      glitches: this.glitches,
      exit_reason: this.exitReason,
      autoplay_next: this.autoplayNext ? 1 : 0,
      ended: this.ended ? 1 : 0,
      version,
    }
  }

  private observeBitrate(bitrate: number | null): void {
    if (bitrate === null) return
    this.currentBitrate = bitrate
    this.peakBitrate = Math.max(this.peakBitrate ?? 0, bitrate)
  }

  private enter(phase: Phase, time: number): void {
    this.phase = phase
    this.phaseSince = Math.max(this.phaseSince, time)
  }

  /** Counts the playing time up to `time` (never backwards: an out-of-order event adds nothing). */
  private closePlaying(time: number): number {
    if (this.phase !== 'playing' || time <= this.phaseSince) return 0
    const played = time - this.phaseSince
    this.playedMs += played
    if (this.currentBitrate !== null) {
      this.bitrateMs += this.currentBitrate * played
      this.bitrateWeight += played
    }
    this.phaseSince = time
    return played
  }
}
