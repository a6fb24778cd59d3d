// One simulated viewer (a device signed in to a profile) and what its state machine needs around it.
// Viewers are plain mutable objects of one shape, so stepping one allocates nothing but its event.
import type { ClientEvent, ClientEventType } from '../../schemas/types.ts'
import { COUNTRIES, DEVICES, CDNS, networkQuality } from './client-catalog.ts'
import type { DeviceProfile, NetworkQuality } from './client-catalog.ts'
import { hash32, WeightedTable } from './random.ts'
import type { Rng } from './random.ts'

/** Viewer states. Ready states step when an arrival picks them; the others wait for a due time. */
export const OFFLINE = 0
export const BROWSING = 1 // ready
export const STARTING = 2 // waits for start-up to end (start, fail or abandon)
export const PLAYING = 3 // ready
export const STALLED = 4 // waits for the rebuffer to end
export const PAUSED = 5 // waits for resume (or exit while paused)
export const ENDING = 6 // waits briefly, then playback_stop with exitReason
export const AUTOPLAY = 7 // waits briefly, then play_request of the next title

/** How a start-up attempt ends, drawn at play_request. */
export const OUTCOME_START = 0
export const OUTCOME_FAIL = 1
export const OUTCOME_ABANDON = 2

export class Viewer {
  state = OFFLINE
  /** Event times of one viewer strictly increase, so its events have one order whatever the send delays. */
  lastEventTime = -Infinity
  /** The scheduler's ready list holding the viewer (null when waiting or offline), and its place there. */
  readyList: Viewer[] | null = null
  readyIndex = -1
  appSessionId = ''
  /** Next A/B test (index into AB_TESTS) whose allocation the app session has yet to report. */
  nextAbTest = 0
  browseUntil = 0
  clickedTitle = -1
  playbackId: string | null = null
  titleIndex = -1
  titleId: string | null = null
  titleLengthMs = 0
  positionMs = 0
  /** Event time at which positionMs was last brought up to date; playback advances it in real time. */
  positionAt = 0
  /** Where the viewer will stop watching (the title's end when they watch it through). */
  endPositionMs = 0
  rung = 0
  /** Start of the current wait (play request, stall), for duration_ms. */
  phaseStart = 0
  outcome = OUTCOME_START
  exitReason = ''

  constructor(
    readonly profileIndex: number,
    readonly profileId: string,
    readonly deviceId: string,
    readonly device: DeviceProfile,
    readonly country: string,
    readonly isp: string,
    readonly cdn: string,
    readonly quality: NetworkQuality,
  ) {}
}

/** What the state machine steps need: the draws, the titles, and where to put a viewer next. */
export interface SimContext {
  readonly rng: Rng
  readonly sched: ViewerScheduler
  readonly titles: TitleCatalog
  readonly seed: number
}

/** Where a viewer goes after a step; the machine calls exactly one of these per step. */
export interface ViewerScheduler {
  /** Steps again when an arrival picks it among the ready viewers. */
  ready(viewer: Viewer): void
  /** Steps at `due`, ahead of ready viewers, so timed waits (start-up, stalls) keep their length. */
  wait(viewer: Viewer, due: number): void
  /** Offline until `due`, when it starts a new app session. */
  sleep(viewer: Viewer, due: number): void
}

const DEVICE_TABLE = new WeightedTable(DEVICES.map((d) => [d, d.share] as const))
const COUNTRY_TABLE = new WeightedTable(COUNTRIES.map((c) => [c, c.share] as const))
const CDN_TABLE = new WeightedTable(CDNS)

/** Builds the viewers. One device in five shares another's profile (a household's TV and phone). */
export function createViewers(rng: Rng, count: number): Viewer[] {
  const profileCount = Math.max(1, Math.ceil(count * 0.8))
  const profileIds = Array.from({ length: profileCount }, () => rng.uuid())
  const viewers: Viewer[] = []
  for (let i = 0; i < count; i++) {
    const profileIndex = i < profileCount ? i : rng.int(profileCount)
    const country = COUNTRY_TABLE.pick(rng)
    const isp = rng.pick(country.isps)
    const cdn = CDN_TABLE.pick(rng)
    const profileId = profileIds[profileIndex] ?? ''
    const viewer = new Viewer(profileIndex, profileId, rng.uuid(), DEVICE_TABLE.pick(rng), country.code, isp, cdn, networkQuality(cdn, isp))
    viewers.push(viewer)
  }
  return viewers
}

/** Titles: ids, lengths and popularity, derived from the title number so they need no storage per draw. */
export class TitleCatalog {
  private readonly ids: string[]

  constructor(
    readonly count: number,
    private readonly seed: number,
  ) {
    this.ids = Array.from({ length: count }, (_, i) => String(80_000_000 + i))
  }

  id(index: number): string {
    return this.ids[index] ?? String(80_000_000 + index)
  }

  /** Every third title is a film (90–150 min); the rest are episodes (22–60 min) that autoplay the next. */
  isEpisode(index: number): boolean {
    return index % 3 !== 0
  }

  lengthMs(index: number): number {
    const u = hash32(this.seed, index) / 4294967296
    const minutes = this.isEpisode(index) ? 22 + 38 * u : 90 + 60 * u
    return Math.round(minutes * 60_000)
  }

  /** Skewed towards low numbers (u³): a few titles draw most plays, as in any catalogue. */
  popular(rng: Rng): number {
    const u = rng.float()
    return Math.floor(this.count * u * u * u)
  }
}

/** A client event of the viewer's current context, specific fields null for the step to fill. */
export function newEvent(rng: Rng, viewer: Viewer, type: ClientEventType, time: number): ClientEvent {
  const inPlayback = viewer.playbackId !== null
  return {
    event_id: rng.uuid(),
    event_type: type,
    event_time: time,
    client_send_time: time,
    device_id: viewer.deviceId,
    device_type: viewer.device.type,
    profile_id: viewer.profileId,
    app_session_id: viewer.appSessionId,
    playback_id: viewer.playbackId,
    title_id: viewer.titleId,
    country: viewer.country,
    isp: viewer.isp,
    cdn: inPlayback ? viewer.cdn : null,
    bitrate_kbps: null,
    duration_ms: null,
    position_ms: inPlayback ? Math.round(viewer.positionMs) : null,
    error_code: null,
    exit_reason: null,
    row_id: null,
    row_position: null,
    search_query: null,
    ab_test_id: null,
    ab_cell: null,
  }
}

/** Median time a viewer browses before deciding to play something or leave. */
const BROWSE_MEDIAN_MS = 90_000
/** Median time between app sessions of one device. */
const OFFLINE_MEDIAN_MS = 3 * 3_600_000

export function beginBrowsing(sim: SimContext, viewer: Viewer, now: number): void {
  viewer.state = BROWSING
  viewer.browseUntil = now + sim.rng.lognormal(BROWSE_MEDIAN_MS, 0.8)
  sim.sched.ready(viewer)
}

/** Ends the app session after the event just built, which is its last. */
export function endSession(sim: SimContext, viewer: Viewer, now: number): void {
  viewer.state = OFFLINE
  viewer.clickedTitle = -1
  sim.sched.sleep(viewer, now + sim.rng.lognormal(OFFLINE_MEDIAN_MS, 0.9))
}

export function clearPlayback(viewer: Viewer): void {
  viewer.playbackId = null
  viewer.titleId = null
  viewer.titleIndex = -1
  viewer.exitReason = ''
}
