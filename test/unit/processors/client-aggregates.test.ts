// The grain of the per-minute contributions (migration 012): no title in qoe_1m or engagement_1m, so
// plays of different titles on the same device, country and CDN are one key; a playback event
// without a CDN takes its session's; engagement fans out once per A/B cell, split into test and cell.
import { describe, expect, it } from 'vitest'
import { foldEngagement, foldEventCount, foldQoe, WindowRows, type Contribution } from '../../../processors/aggregates/client-aggregates.ts'
import { PlaybackSession } from '../../../processors/sessions/playback-session.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { columnsOf, type TableName } from '../../../schemas/tables.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const MINUTE = Date.UTC(2024, 0, 1, 12, 0, 0)

function contribution(event: ClientEvent, overrides: Partial<Contribution> = {}): Contribution {
  return { event, session: undefined, windowStart: MINUTE, playedMs: 0, late: false, abCells: [], ...overrides }
}

/** The rows one contribution adds to an empty window, as the window writes them as corrections (with the keys a segment combines them by). */
function contributions(c: Contribution, fold: (c: Contribution, into: WindowRows) => void, table: string): { key: string; row: Record<string, unknown> }[] {
  const rows = new WindowRows()
  fold(c, rows)
  return rows
    .rows(true)
    .filter((derived) => derived.table === table)
    .map((derived) => ({ key: derived.combine?.key ?? '', row: { ...derived.row } }))
}

function qoeContribution(c: Contribution): { key: string; row: Record<string, unknown> } | undefined {
  return contributions(c, foldQoe, 'qoe_1m')[0]
}

function engagementContributions(c: Contribution): { key: string; row: Record<string, unknown> }[] {
  return contributions(c, foldEngagement, 'engagement_1m')
}

const start = (title: string, cdn: string | null): ClientEvent =>
  clientEvent({ event_type: 'playback_start', title_id: title, cdn, device_type: 'tv', country: 'NL', duration_ms: 1200, exit_reason: null })

describe('per-minute contributions', () => {
  it('key qoe_1m by minute, device, country and CDN: two titles share one key and the row has no title', () => {
    const a = qoeContribution(contribution(start('80000001', 'akamai')))
    const b = qoeContribution(contribution(start('80000002', 'akamai')))
    expect(a?.key).toBe(b?.key)
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
    expect(other.map((row) => row.key)).toEqual(rows.map((row) => row.key))
    expect(engagementContributions(contribution(click)).map((row) => [row.row.ab_test_id, row.row.ab_cell])).toEqual([['', '']])
  })

  it('add contributions with the same key into one row, and count a late one as a correction', () => {
    const window = new WindowRows()
    const session = new PlaybackSession(start('80000001', 'akamai'), [])
    foldQoe(contribution(start('80000001', 'akamai'), { session }), window)
    foldQoe(contribution(start('80000002', 'akamai'), { session, playedMs: 500 }), window)
    foldQoe(contribution(clientEvent({ event_type: 'rebuffer_end', cdn: 'akamai', device_type: 'tv', country: 'NL', duration_ms: 300 }), { late: true }), window)
    foldEventCount(start('80000001', 'akamai'), MINUTE, window)
    foldEventCount(start('80000002', 'akamai'), MINUTE, window)
    expect(window.qoe).toEqual([
      expect.objectContaining({ plays: 2, played_ms: 500, rebuffer_ms: 300, corrections: 1, startup_ms_hist: { 40: 2 } }),
    ])
    expect(window.events).toEqual([expect.objectContaining({ event_type: 'playback_start', events: 2 })])
    const corrections = window.rows(true)
    expect(corrections.map((row) => [row.table, row.combine?.how])).toEqual([
      ['qoe_1m', 'sum'],
      ['client_events_1m', 'sum'],
    ])
    expect(window.rows(false).every((row) => row.combine === undefined)).toBe(true)
  })

  it('keep one row per key: another country, CDN, minute, row or cell is another row, in the order keys first came', () => {
    const window = new WindowRows()
    const at = (event: ClientEvent, minutes = 0, abCells: string[] = []): Contribution => contribution(event, { windowStart: MINUTE + minutes * 60_000, late: true, abCells })
    for (const c of [at(start('1', 'akamai')), at(start('2', 'fastly')), at(start('3', 'akamai'), 1), at({ ...start('4', 'akamai'), country: 'BE' }), at(start('5', 'akamai'))]) {
      foldQoe(c, window)
      foldEventCount(c.event, c.windowStart, window)
    }
    const click = (row: string): ClientEvent => clientEvent({ event_type: 'title_click', row_id: row })
    for (const c of [at(click('top_10'), 0, ['ab-1:a']), at(click('top_10'), 0, ['ab-1:b']), at(click('new'), 0, ['ab-1:a']), at(click('top_10'), 0, ['ab-1:a'])]) foldEngagement(c, window)
    expect(window.qoe.map((row) => [row.minute.slice(11, 16), row.country, row.cdn, row.plays])).toEqual([
      ['12:00', 'NL', 'akamai', 2],
      ['12:00', 'NL', 'fastly', 1],
      ['12:01', 'NL', 'akamai', 1],
      ['12:00', 'BE', 'akamai', 1],
    ])
    expect(window.events.map((row) => row.events)).toEqual([2, 1, 1, 1])
    expect(window.engagement.map((row) => [row.row_id, row.ab_cell, row.clicks])).toEqual([
      ['top_10', 'a', 2],
      ['top_10', 'b', 1],
      ['new', 'a', 1],
    ])
    const keys = window.rows(true).map((row) => row.combine?.key)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it("build every row with its table's columns, in the table's order (so a block's row buffer takes it as bytes)", () => {
    const window = new WindowRows()
    const c = contribution(start('1', 'akamai'), { playedMs: 5, abCells: ['ab-1:a'] })
    foldQoe(c, window)
    foldEngagement(c, window)
    foldEventCount(c.event, c.windowStart, window)
    const rows = window.rows(false)
    expect(rows.map((row) => row.table)).toEqual(['qoe_1m', 'engagement_1m', 'client_events_1m'])
    for (const row of rows) expect(Object.keys(row.row)).toEqual(columnsOf(row.table as TableName).map(([name]) => name))
  })
})
