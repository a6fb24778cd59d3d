// The static world the simulated viewers live in: devices, countries and their ISPs, CDNs, rows, A/B tests.
// Quality numbers live here so "which CDN is bad, and how bad" is one place to read and to change.
import type { DeviceType } from '../../schemas/types.ts'

/** The CDN whose viewers see slower start-up, more and longer rebuffers, and more errors. */
export const BAD_CDN = 'edgecast'
/** The ISP whose viewers see slower start-up and more rebuffers, whatever their CDN. */
export const BAD_ISP = 'metro-dsl'

export const CDNS: readonly (readonly [string, number])[] = [
  ['open-connect', 0.7],
  ['akamai', 0.12],
  ['fastly', 0.1],
  [BAD_CDN, 0.08],
]

export interface DeviceProfile {
  type: DeviceType
  share: number
  /** Median start-up time on a good network, ms. */
  startupMedianMs: number
  /** Highest rung of BITRATE_LADDER_KBPS the device plays. */
  maxRung: number
}

export const DEVICES: readonly DeviceProfile[] = [
  { type: 'tv', share: 0.45, startupMedianMs: 1600, maxRung: 11 },
  { type: 'mobile', share: 0.25, startupMedianMs: 1800, maxRung: 7 },
  { type: 'web', share: 0.12, startupMedianMs: 1200, maxRung: 9 },
  { type: 'tablet', share: 0.1, startupMedianMs: 1500, maxRung: 8 },
  { type: 'console', share: 0.08, startupMedianMs: 1400, maxRung: 10 },
]

export interface Country {
  code: string
  share: number
  isps: readonly string[]
}

export const COUNTRIES: readonly Country[] = [
  { code: 'US', share: 0.34, isps: ['comcast', 'charter', 'verizon', 'att', BAD_ISP] },
  { code: 'BR', share: 0.1, isps: ['claro', 'vivo', 'oi'] },
  { code: 'IN', share: 0.09, isps: ['jio', 'airtel', 'act-fibernet'] },
  { code: 'GB', share: 0.08, isps: ['bt', 'sky', 'virgin-media'] },
  { code: 'DE', share: 0.07, isps: ['deutsche-telekom', 'vodafone-de', '1und1'] },
  { code: 'MX', share: 0.06, isps: ['telmex', 'izzi', 'totalplay'] },
  { code: 'JP', share: 0.06, isps: ['ntt', 'kddi', 'softbank'] },
  { code: 'FR', share: 0.06, isps: ['orange', 'free', 'sfr'] },
  { code: 'CA', share: 0.05, isps: ['rogers', 'bell', 'telus'] },
  { code: 'KR', share: 0.05, isps: ['kt', 'sk-broadband', 'lg-uplus'] },
  { code: 'AU', share: 0.04, isps: ['telstra', 'optus', 'tpg'] },
]

/** Encoding ladder, kbps: a bitrate_change moves one or two rungs. */
export const BITRATE_LADDER_KBPS: readonly number[] = [
  235, 375, 560, 750, 1050, 1750, 2350, 3000, 4300, 5800, 8000, 16000,
]

export const ROWS: readonly string[] = [
  'continue_watching',
  'trending_now',
  'top_10',
  'because_you_watched',
  'new_releases',
  'my_list',
  'comedies',
  'documentaries',
  'anime',
  'thrillers',
  'award_winning',
  'watch_again',
]
/** Titles per row; row_position is the title's 0-based place within its row. */
export const ROW_LENGTH = 40

export const SEARCH_QUERIES: readonly string[] = [
  'stranger',
  'stranger things',
  'the crown',
  'wednesday',
  'squid',
  'squid game',
  'comedy',
  'documentary',
  'true crime',
  'anime',
  'kids',
  'christmas',
  'korean drama',
  'horror movies',
  'cooking',
  'nature',
  'the witcher',
  'money heist',
  'bridgerton',
  'dark',
]

export const STARTUP_ERROR_CODES: readonly string[] = ['NW-2-5', 'M7111-1331', 'tvq-pm-100', 'E100', 'DRM-LICENSE-DENIED']
export const PLAYBACK_ERROR_CODES: readonly string[] = ['NW-4-7', 'NW-3-6', 'tvq-pb-101', 'DECODE-ERROR', 'CDN-HTTP-504']

export interface AbTest {
  id: string
  cells: number
  /** Share of profiles enrolled in the test. */
  enrollment: number
}

export const AB_TESTS: readonly AbTest[] = [
  { id: 'ab-31022-artwork', cells: 4, enrollment: 0.3 },
  { id: 'ab-31187-autoplay-preview', cells: 2, enrollment: 0.5 },
  { id: 'ab-31240-row-ranking', cells: 5, enrollment: 0.2 },
  { id: 'ab-31301-abr-tuning', cells: 3, enrollment: 0.25 },
  { id: 'ab-31355-search-ux', cells: 2, enrollment: 0.15 },
]

/** How a viewer's network changes playback, as multipliers on the good-network numbers. */
export interface NetworkQuality {
  startup: number
  rebufferRate: number
  rebufferLength: number
  errorRate: number
  /** Rungs below the device's best at which playback starts. */
  startRungDrop: number
}

export function networkQuality(cdn: string, isp: string): NetworkQuality {
  const badCdn = cdn === BAD_CDN
  const badIsp = isp === BAD_ISP
  return {
    startup: (badCdn ? 1.9 : 1) * (badIsp ? 1.4 : 1),
    rebufferRate: (badCdn ? 4 : 1) * (badIsp ? 2 : 1),
    rebufferLength: (badCdn ? 2 : 1) * (badIsp ? 1.3 : 1),
    errorRate: badCdn ? 3 : 1,
    startRungDrop: 3 + (badCdn ? 2 : 0) + (badIsp ? 1 : 0),
  }
}
