// Proactive care: a session that went bad earns an action within seconds of its end, before the
// customer has to call. The worst problem picks the remedy.
import type { Row } from '../../pipeline/rows.ts'
import type { PlaybackSession } from './playback-session.ts'

export type Problem = 'failed_start' | 'playback_error' | 'rebuffering' | 'glitch'

const REMEDIES: readonly [Problem, string][] = [
  ['failed_start', 'credit'],
  ['playback_error', 'credit'],
  ['rebuffering', 'network_check'],
  ['glitch', 'apology'],
]

export function problemsOf(session: PlaybackSession, rebufferRatioThreshold: number): Problem[] {
  const problems: Problem[] = []
  if (session.failedStart) problems.push('failed_start')
  else if (session.errors > 0) problems.push('playback_error')
  if (session.rebufferRatio > rebufferRatioThreshold) problems.push('rebuffering')
  if (session.glitches > 0) problems.push('glitch')
  return problems
}

export function careActionRow(session: PlaybackSession, problems: readonly Problem[], version: number): Row | undefined {
  const worst = REMEDIES.find(([problem]) => problems.includes(problem))
  if (worst === undefined) return undefined
  return {
    session_id: session.sessionId,
    profile_id: session.first.profile_id,
    action_time: session.lastEventTime,
    problems,
    remedy: worst[1],
    detail: describe(session, problems),
    version,
  }
}

function describe(session: PlaybackSession, problems: readonly Problem[]): string {
  const parts: string[] = []
  if (problems.includes('failed_start')) parts.push(`playback of ${session.first.title_id ?? 'a title'} failed to start`)
  if (problems.includes('playback_error')) parts.push(`${session.errors} playback error(s)`)
  if (problems.includes('rebuffering')) parts.push(`rebuffering ${(session.rebufferRatio * 100).toFixed(1)}% of the time`)
  if (problems.includes('glitch')) parts.push(`${session.glitches} audio/video glitch(es)`)
  return `${parts.join('; ')} on ${session.first.device_type} via ${session.first.cdn ?? 'unknown CDN'}`
}
