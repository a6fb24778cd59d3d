// Options of the client-event generator: one-line docs, defaults, and checks that fail loudly.
// Defaults are fixed values (no Date.now()), so the same options always give the same traffic.

export interface ClientTrafficOptions {
  /** PRNG seed: the same seed and options give the same records. */
  seed?: number
  /** Simulated clock start, epoch ms. Pass Date.now() for live traffic. */
  startTime?: number
  /** Average client events per second of simulated time (Poisson arrivals); retried duplicates come on top. */
  ratePerSecond?: number
  /** Simulated viewers (devices); ~40 × ratePerSecond keeps real clients' pace, fewer make each chattier. */
  viewers?: number
  /** Titles in the catalogue; popularity is skewed towards low title numbers. */
  titles?: number
  /** Share of events sent late, as by a device that was offline: seconds to minutes after event time. */
  lateFraction?: number
  /** Cap on a late event's delay beyond maxClientDelayMs, ms (late delays are lognormal, median 45 s). */
  maxLateMs?: number
  /** Share of events sent a second time with the same event_id, as by a client retrying. */
  duplicateFraction?: number
  /** On-time events are sent within this many ms of their event time (client batching). */
  maxClientDelayMs?: number
}

export type ResolvedClientOptions = Required<ClientTrafficOptions>

/** 2026-01-01T00:00:00Z: a fixed default so a default run is reproducible. */
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1)

export const CLIENT_DEFAULTS: ResolvedClientOptions = {
  seed: 1,
  startTime: DEFAULT_START_TIME,
  ratePerSecond: 1000,
  viewers: 40_000,
  titles: 2000,
  lateFraction: 0.01,
  maxLateMs: 30 * 60_000,
  duplicateFraction: 0.005,
  maxClientDelayMs: 2000,
}

/** More steps per viewer-second than this and per-viewer event times (1 ms apart at least) drift from the clock. */
export const MAX_STEPS_PER_VIEWER_SECOND = 200

export function resolveClientOptions(options: ClientTrafficOptions = {}): ResolvedClientOptions {
  for (const key of Object.keys(options)) {
    if (!(key in CLIENT_DEFAULTS)) throw new RangeError(`unknown client traffic option "${key}"`)
  }
  const resolved: ResolvedClientOptions = { ...CLIENT_DEFAULTS, ...options }
  requireInteger('seed', resolved.seed, -(2 ** 31), 2 ** 32 - 1)
  requireInteger('startTime', resolved.startTime, 0, Number.MAX_SAFE_INTEGER)
  requireRange('ratePerSecond', resolved.ratePerSecond, Number.MIN_VALUE, Infinity)
  requireInteger('viewers', resolved.viewers, 1, 10_000_000)
  requireInteger('titles', resolved.titles, 1, 10_000_000)
  requireRange('lateFraction', resolved.lateFraction, 0, 1)
  requireInteger('maxLateMs', resolved.maxLateMs, 1, 86_400_000)
  requireRange('duplicateFraction', resolved.duplicateFraction, 0, 1)
  requireInteger('maxClientDelayMs', resolved.maxClientDelayMs, 0, 3_600_000)
  if (resolved.ratePerSecond / resolved.viewers > MAX_STEPS_PER_VIEWER_SECOND) {
    throw new RangeError(
      `ratePerSecond ${resolved.ratePerSecond} over ${resolved.viewers} viewers is more than ` +
        `${MAX_STEPS_PER_VIEWER_SECOND} events per viewer per second: raise viewers`,
    )
  }
  return resolved
}

export function requireRange(name: string, value: number, min: number, max: number): void {
  if (!(value >= min && value <= max)) throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`)
}

export function requireInteger(name: string, value: number, min: number, max: number): void {
  requireRange(name, value, min, max)
  if (!Number.isInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`)
}
