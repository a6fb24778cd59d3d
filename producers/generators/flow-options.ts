// Options of the network-flow generator: one-line docs, defaults, and checks that fail loudly.
import { DEFAULT_START_TIME, requireInteger, requireRange } from './client-options.ts'

export interface FlowTrafficOptions {
  /** PRNG seed: the same seed and options give the same records and the same fleet. */
  seed?: number
  /** Simulated clock start, epoch ms. Pass Date.now() for live traffic. */
  startTime?: number
  /** Average flow-log records per second of simulated time; ip_assignment records come on top. */
  ratePerSecond?: number
  /** Applications in the fleet: the first ones of the catalogue, then generic services. */
  apps?: number
  /** Simulated seconds between two reassignments of a CIDR from one app to another. */
  reassignEverySeconds?: number
  /** Share of flows with one end outside the fleet (internet clients, scanners, a peered VPC). */
  unknownFraction?: number
  /** Assignment records are sent up to this many ms after they take effect, so some trail their flows. */
  assignmentDelayMs?: number
  /** Share of records that are NODATA or SKIPDATA (one in five SKIPDATA), with "-" fields as null. */
  noDataFraction?: number
}

export type ResolvedFlowOptions = Required<FlowTrafficOptions>

export const FLOW_DEFAULTS: ResolvedFlowOptions = {
  seed: 1,
  startTime: DEFAULT_START_TIME,
  ratePerSecond: 1000,
  apps: 15,
  reassignEverySeconds: 30,
  unknownFraction: 0.05,
  assignmentDelayMs: 5000,
  noDataFraction: 0.003,
}

export function resolveFlowOptions(options: FlowTrafficOptions = {}): ResolvedFlowOptions {
  for (const key of Object.keys(options)) {
    if (!(key in FLOW_DEFAULTS)) throw new RangeError(`unknown flow traffic option "${key}"`)
  }
  const resolved: ResolvedFlowOptions = { ...FLOW_DEFAULTS, ...options }
  requireInteger('seed', resolved.seed, -(2 ** 31), 2 ** 32 - 1)
  requireInteger('startTime', resolved.startTime, 0, Number.MAX_SAFE_INTEGER)
  requireRange('ratePerSecond', resolved.ratePerSecond, Number.MIN_VALUE, Infinity)
  requireInteger('apps', resolved.apps, 2, 500)
  requireRange('reassignEverySeconds', resolved.reassignEverySeconds, 0.001, Infinity)
  requireRange('unknownFraction', resolved.unknownFraction, 0, 1)
  requireInteger('assignmentDelayMs', resolved.assignmentDelayMs, 0, 3_600_000)
  requireRange('noDataFraction', resolved.noDataFraction, 0, 1)
  if (resolved.unknownFraction + resolved.noDataFraction > 1) {
    throw new RangeError('unknownFraction + noDataFraction must not exceed 1')
  }
  return resolved
}
