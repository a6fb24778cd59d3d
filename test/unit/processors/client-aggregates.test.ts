// The grain of the per-minute contributions (migration 012): no title in qoe_1m or engagement_1m, so
// plays of different titles on the same device, country and CDN are one key; a playback event
// without a CDN takes its session's; engagement fans out once per A/B cell, split into test and cell.
import { describe, expect, it } from 'vitest'
import { engagementContributions, qoeContribution, type Contribution } from '../../../processors/aggregates/client-aggregates.ts'
import { PlaybackSession } from '../../../processors/sessions/playback-session.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const MINUTE = Date.UTC(2024, 0, 1, 12, 0, 0)

function contribution(event: ClientEvent, overrides: Partial<Contribution> = {}): Contribution {
  return { event, session: undefined, windowStart: MINUTE, playedMs: 0, late: false, abCells: [], ...overrides }
}

const start = (title: string, cdn: string | null): ClientEvent =>
  clientEvent({ event_type: 'playback_start', title_id: title, cdn, device_type: 'tv', country: 'NL', duration_ms: 1200, exit_reason: null })

describe('per-minute contributions', () => {
  it('key qoe_1m by minute, device, country and CDN: two titles share one key and the row has no title', () => {
    const a = qoeContribution(contribution(start('80000001', 'akamai')))
    const b = qoeContribution(contribution(start('80000002', 'akamai')))
    expect(a?.combine?.key).toBe(b?.combine?.key)
    expect(a?.row).not.toHaveProperty('title_id')
    expect(a?.row).toMatchObject({ minute: '2024-01-01 12:00:00', device_type: 'tv', country: 'NL', cdn: 'akamai', plays: 1, startup_ms_hist: { 40: 1 } })
  })

  it("take a playback event's missing CDN from its session's first event", () => {
    const session = new PlaybackSession(start('80000001', 'fastly'), [])
    const rebuffer = clientEvent({ event_type: 'rebuffer_start', cdn: null, device_type: 'tv', country: 'NL' })
    expect(qoeContribution(contribution(rebuffer, { session }))?.row.cdn).toBe('fastly')
  })

  it('write engagement once per A/B cell of the app session, keyed without the title', () => {
    const click = clientEvent({ event_type: 'title_click', title_id: '80000001', row_id: 'top_10' })
    const rows = engagementContributions(contribution(click, { abCells: ['ab-1:a', 'ab-2:control'] }))
    expect(rows.map((row) => [row.row.ab_test_id, row.row.ab_cell, row.row.row_id, row.row.clicks])).toEqual([
      ['ab-1', 'a', 'top_10', 1],
      ['ab-2', 'control', 'top_10', 1],
    ])
    const other = engagementContributions(contribution({ ...click, title_id: '80000002' }, { abCells: ['ab-1:a', 'ab-2:control'] }))
    expect(other.map((row) => row.combine?.key)).toEqual(rows.map((row) => row.combine?.key))
    expect(engagementContributions(contribution(click)).map((row) => [row.row.ab_test_id, row.row.ab_cell])).toEqual([['', '']])
  })
})
