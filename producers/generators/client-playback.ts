// The playback lifecycle of one viewer: play_request, start-up (start, fail or abandon), then bitrate
// changes, rebuffers, glitches, pauses and errors until a stop or an autoplay of the next episode.
import type { ClientEvent } from '../../schemas/types.ts'
import { BITRATE_LADDER_KBPS, PLAYBACK_ERROR_CODES, STARTUP_ERROR_CODES } from './client-catalog.ts'
import {
  AUTOPLAY,
  ENDING,
  OUTCOME_ABANDON,
  OUTCOME_FAIL,
  OUTCOME_START,
  PAUSED,
  PLAYING,
  STALLED,
  STARTING,
  beginBrowsing,
  clearPlayback,
  endSession,
  newEvent,
} from './viewer.ts'
import type { SimContext, Viewer } from './viewer.ts'

/** Share of start-up attempts that fail on a good network (times NetworkQuality.errorRate). */
const STARTUP_FAILURE = 0.012
/** Per-step weights of what happens during playback; rebuffers and errors scale with network quality. */
const W_BITRATE = 0.92
const W_REBUFFER = 0.02
const W_GLITCH = 0.01
const W_PAUSE = 0.015
const W_ERROR = 0.0006
/** Share of mid-play errors that end the playback (the rest are recovered, e.g. by CDN failover). */
const FATAL_ERROR = 0.6

export function playRequest(sim: SimContext, viewer: Viewer, now: number, title: number, autoplay: boolean): ClientEvent {
  const { rng, titles } = sim
  viewer.playbackId = rng.uuid()
  viewer.titleIndex = title
  viewer.titleId = titles.id(title)
  viewer.titleLengthMs = titles.lengthMs(title)
  // A third of manual plays resume from "continue watching"; autoplay starts the episode at 0.
  viewer.positionMs = !autoplay && rng.chance(0.3) ? Math.round(rng.uniform(0, 0.8) * viewer.titleLengthMs) : 0
  viewer.positionAt = now
  viewer.phaseStart = now
  viewer.clickedTitle = -1
  const event = newEvent(rng, viewer, 'play_request', now)
  planStartup(sim, viewer, now)
  return event
}

/** Draws how start-up ends and when: the viewer waits for it in STARTING. */
function planStartup(sim: SimContext, viewer: Viewer, now: number): void {
  const { rng } = sim
  const quality = viewer.quality
  const startupMs = clamp(rng.lognormal(viewer.device.startupMedianMs * quality.startup, 0.55), 150, 60_000)
  const patienceMs = rng.lognormal(15_000, 0.5)
  let due: number
  if (rng.chance(STARTUP_FAILURE * quality.errorRate)) {
    viewer.outcome = OUTCOME_FAIL
    due = now + rng.uniform(0.2, 1) * startupMs
  } else if (startupMs > patienceMs) {
    viewer.outcome = OUTCOME_ABANDON
    due = now + patienceMs
  } else {
    viewer.outcome = OUTCOME_START
    due = now + startupMs
  }
  viewer.state = STARTING
  sim.sched.wait(viewer, due)
}

export function stepStarting(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const { rng } = sim
  if (viewer.outcome === OUTCOME_FAIL) {
    const event = newEvent(rng, viewer, 'playback_error', now)
    event.error_code = rng.pick(STARTUP_ERROR_CODES)
    endWith(sim, viewer, now, 'error')
    return event
  }
  if (viewer.outcome === OUTCOME_ABANDON) return stop(sim, viewer, now, 'abandon_startup')
  const event = newEvent(rng, viewer, 'playback_start', now)
  event.duration_ms = now - viewer.phaseStart
  viewer.rung = Math.max(0, viewer.device.maxRung - viewer.quality.startRungDrop)
  event.bitrate_kbps = kbps(viewer.rung)
  viewer.positionAt = now
  planWatch(sim, viewer)
  viewer.state = PLAYING
  sim.sched.ready(viewer)
  return event
}

/** Where the viewer will stop: 40% watch to the end, the rest for a lognormal while (median 20 min). */
function planWatch(sim: SimContext, viewer: Viewer): void {
  const { rng } = sim
  const remaining = viewer.titleLengthMs - viewer.positionMs
  const watched = rng.chance(0.4) ? remaining : Math.min(remaining, rng.lognormal(20 * 60_000, 0.9))
  viewer.endPositionMs = viewer.positionMs + watched
}

export function stepPlaying(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  viewer.positionMs += now - viewer.positionAt
  viewer.positionAt = now
  if (viewer.positionMs >= viewer.endPositionMs) return finish(sim, viewer, now)
  const { rng } = sim
  const quality = viewer.quality
  const rebuffer = W_REBUFFER * quality.rebufferRate
  const error = W_ERROR * quality.errorRate
  let u = rng.float() * (W_BITRATE + rebuffer + 2 * W_GLITCH + W_PAUSE + error)
  if ((u -= W_BITRATE) < 0) return bitrateChange(sim, viewer, now)
  if ((u -= rebuffer) < 0) return rebufferStart(sim, viewer, now)
  if ((u -= W_GLITCH) < 0) return newEvent(rng, viewer, 'audio_glitch', now)
  if ((u -= W_GLITCH) < 0) return newEvent(rng, viewer, 'video_glitch', now)
  if ((u -= W_PAUSE) < 0) {
    viewer.state = PAUSED
    sim.sched.wait(viewer, now + rng.lognormal(40_000, 1.1))
    return newEvent(rng, viewer, 'pause', now)
  }
  const event = newEvent(rng, viewer, 'playback_error', now)
  event.error_code = rng.pick(PLAYBACK_ERROR_CODES)
  if (rng.chance(FATAL_ERROR)) endWith(sim, viewer, now, 'error')
  return event
}

/** The viewer reached where they meant to stop: the end of an episode may autoplay the next one. */
function finish(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  viewer.positionMs = viewer.endPositionMs
  const completed = viewer.endPositionMs >= viewer.titleLengthMs
  if (completed && sim.titles.isEpisode(viewer.titleIndex) && sim.rng.chance(0.7)) {
    const event = newEvent(sim.rng, viewer, 'autoplay_next', now)
    endWith(sim, viewer, now, 'autoplay_next')
    return event
  }
  return stop(sim, viewer, now, completed ? 'completed' : 'user_exit')
}

/** ABR moves towards the best rung the network sustains, one or two rungs at a time. */
function bitrateChange(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const { rng } = sim
  const max = viewer.device.maxRung
  const sustainable = max - viewer.quality.startRungDrop + 3
  const upward = rng.chance(viewer.rung < sustainable ? 0.75 : 0.3)
  const step = rng.chance(0.8) ? 1 : 2
  let rung = clamp(viewer.rung + (upward ? step : -step), 0, max)
  if (rung === viewer.rung) rung = clamp(viewer.rung + (upward ? -step : step), 0, max)
  viewer.rung = rung
  const event = newEvent(rng, viewer, 'bitrate_change', now)
  event.bitrate_kbps = kbps(rung)
  return event
}

function rebufferStart(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const stallMs = clamp(sim.rng.lognormal(1200 * viewer.quality.rebufferLength, 0.8), 100, 120_000)
  viewer.phaseStart = now
  viewer.state = STALLED
  sim.sched.wait(viewer, now + stallMs)
  return newEvent(sim.rng, viewer, 'rebuffer_start', now)
}

export function stepStalled(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  const event = newEvent(sim.rng, viewer, 'rebuffer_end', now)
  event.duration_ms = now - viewer.phaseStart
  // The position stood still during the stall: playback resumes from here.
  viewer.positionAt = now
  viewer.state = PLAYING
  sim.sched.ready(viewer)
  return event
}

export function stepPaused(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  if (sim.rng.chance(0.1)) return stop(sim, viewer, now, 'user_exit')
  viewer.positionAt = now
  viewer.state = PLAYING
  sim.sched.ready(viewer)
  return newEvent(sim.rng, viewer, 'resume', now)
}

/** The stop that follows a fatal error or an autoplay_next, a moment after it. */
export function stepEnding(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  if (viewer.exitReason !== 'autoplay_next') return stop(sim, viewer, now, viewer.exitReason)
  const event = newEvent(sim.rng, viewer, 'playback_stop', now)
  event.exit_reason = 'autoplay_next'
  viewer.clickedTitle = (viewer.titleIndex + 1) % sim.titles.count
  clearPlayback(viewer)
  viewer.state = AUTOPLAY
  sim.sched.wait(viewer, now + sim.rng.between(50, 400))
  return event
}

export function stepAutoplay(sim: SimContext, viewer: Viewer, now: number): ClientEvent {
  return playRequest(sim, viewer, now, viewer.clickedTitle, true)
}

function endWith(sim: SimContext, viewer: Viewer, now: number, reason: string): void {
  viewer.exitReason = reason
  viewer.state = ENDING
  sim.sched.wait(viewer, now + sim.rng.between(30, 600))
}

/** playback_stop, then back to browsing or out of the app. */
function stop(sim: SimContext, viewer: Viewer, now: number, reason: string): ClientEvent {
  const event = newEvent(sim.rng, viewer, 'playback_stop', now)
  event.exit_reason = reason
  clearPlayback(viewer)
  if (sim.rng.chance(0.45)) beginBrowsing(sim, viewer, now)
  else endSession(sim, viewer, now)
  return event
}

function kbps(rung: number): number {
  return BITRATE_LADDER_KBPS[rung] ?? 0
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value
}
