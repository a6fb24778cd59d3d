// Per-minute windows emit once: a partition's on-time events of a minute wait in memory and become
// one row per key when the watermark passes the minute's end; an event late within the allowed
// lateness becomes a correction row of its own; the idle sweep closes windows too; a shutdown writes
// the open windows as they stand; a restore rebuilds exactly the windows still open at the checkpoint.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ClientPartition, type ClientProcessingSettings } from '../../../processors/client-partition.ts'
import { clientEventRow } from '../../../processors/rows.ts'
import type { DerivedRow } from '../../../pipeline/rows.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const SETTINGS: ClientProcessingSettings = {
  windowMs: 60_000,
  outOfOrdernessMs: 5_000,
  allowedLatenessMs: 600_000,
  dedupHorizonMs: 600_000,
  sessionTimeoutMs: 1_800_000,
  careRebufferRatio: 0.05,
  enrichHoldBackMs: 0,
}
/** 2024-01-01 12:00:00 UTC: the start of a minute. */
const M0 = Date.UTC(2024, 0, 1, 12, 0, 0)
const M1 = M0 + 60_000

function impression(time: number, overrides: Partial<ClientEvent> = {}): ClientEvent {
  return clientEvent({
    event_id: randomUUID(), event_type: 'row_impression', playback_id: null, exit_reason: null, title_id: 'title-1', row_id: 'row-1',
    device_type: 'tv', country: 'NL', cdn: null, event_time: time, client_send_time: time, ...overrides,
  })
}

function feed(partition: ClientPartition, event: ClientEvent): DerivedRow[] {
  const outcome = partition.process(event, (arrival) => ({ table: 'client_events', row: clientEventRow(event, { ingestTimeMs: 0, partition: '0', position: '0' }, arrival) }))
  return outcome.rows.filter((row) => row.table !== 'client_events')
}

const ofTable = (rows: readonly DerivedRow[], table: string): DerivedRow[] => rows.filter((row) => row.table === table)

describe('per-minute windows', () => {
  it('emit nothing while the minute is open, then one row per key once the watermark passes its end', () => {
    const partition = new ClientPartition(SETTINGS)
    const held: DerivedRow[] = []
    // Seven titles: engagement_1m has no title_id (issue 18), so they are one row of the minute.
    for (let i = 0; i < 50; i++) held.push(...feed(partition, impression(M0 + i * 1000, { device_type: i % 2 === 0 ? 'tv' : 'mobile', title_id: `title-${i % 7}` })))
    expect(held).toEqual([])
    // Event time reaches M1 + 4.999 s: the watermark (5 s behind) has not passed the minute yet.
    expect(feed(partition, impression(M1 + 4_999))).toEqual([])
    const closed = feed(partition, impression(M1 + 5_000))
    expect(ofTable(closed, 'engagement_1m').map((row) => row.row)).toEqual([
      { minute: '2024-01-01 12:00:00', row_id: 'row-1', ab_test_id: '', ab_cell: '', impressions: 50, clicks: 0, plays: 0, played_ms: 0, completions: 0, autoplay_next: 0, corrections: 0 },
    ])
    const counts = ofTable(closed, 'client_events_1m').map((row) => [row.row.device_type, row.row.events])
    expect(counts.sort()).toEqual([['mobile', 25], ['tv', 25]])
    expect(ofTable(closed, 'client_events_1m').every((row) => row.row.minute === M0 / 1000)).toBe(true)
    // Closed once: nothing more for that minute while the watermark moves on within the next one.
    expect(feed(partition, impression(M1 + 30_000)).filter((row) => row.row.minute === M0 / 1000 || row.row.minute === '2024-01-01 12:00:00')).toEqual([])
  })

  it('turns an event late within the allowed lateness into a correction row, and a too-late one into a count only', () => {
    const partition = new ClientPartition(SETTINGS)
    feed(partition, impression(M0))
    feed(partition, impression(M1 + 10_000))
    const late = feed(partition, impression(M0 + 30_000))
    expect(ofTable(late, 'engagement_1m').map((row) => [row.row.minute, row.row.impressions, row.row.corrections])).toEqual([['2024-01-01 12:00:00', 1, 1]])
    expect(ofTable(late, 'client_events_1m').map((row) => [row.row.minute, row.row.events])).toEqual([[M0 / 1000, 1]])
    feed(partition, impression(M0 + SETTINGS.allowedLatenessMs + 70_000))
    const tooLate = feed(partition, impression(M0 + 1000))
    expect(tooLate.map((row) => row.table)).toEqual(['client_events_1m'])
  })

  it('close when an idle partition lets its watermark follow the clock', () => {
    const partition = new ClientPartition(SETTINGS)
    feed(partition, impression(M0))
    feed(partition, impression(M0 + 2000))
    expect(partition.idle(M1 + 4_000)).toEqual([])
    // Nothing closed, so the watermark stays where the records put it: no checkpoint would know of a move.
    expect(partition.clock.watermark).toBe(M0 + 2000 - SETTINGS.outOfOrdernessMs)
    const closed = partition.idle(M1 + 6_000)
    expect(ofTable(closed, 'engagement_1m').map((row) => row.row.impressions)).toEqual([2])
    expect(partition.windows.size).toBe(0)
    expect(partition.clock.watermark).toBe(M1 + 1000)
  })

  it('are written as they stand on shutdown, and a restore past that flush leaves them out', () => {
    const partition = new ClientPartition(SETTINGS)
    feed(partition, impression(M0))
    const flushed = partition.flushWindows('7')
    expect(ofTable(flushed, 'engagement_1m').map((row) => row.row.impressions)).toEqual([1])
    expect(partition.checkpointState()).toEqual({ highestEventTime: M0, windowsFlushedAt: '7' })

    const restored = new ClientPartition(SETTINGS, partition.checkpointState())
    restored.restore(impression(M0), '7')
    restored.restore(impression(M0 + 1000), '8')
    expect(ofTable(restored.flushWindows('8'), 'engagement_1m').map((row) => row.row.impressions)).toEqual([1])
  })

  it('are rebuilt on restore only while open at the checkpoint watermark', () => {
    const restored = new ClientPartition(SETTINGS, { highestEventTime: M1 + 10_000 })
    restored.restore(impression(M0 + 1000), '1')
    restored.restore(impression(M1 + 1000), '2')
    restored.restore(impression(M1 + 2000), '3')
    // Minute M0 was closed (and written) before the checkpoint; M1 is open with two events.
    const rows = ofTable(restored.flushWindows('3'), 'engagement_1m')
    expect(rows.map((row) => [row.row.minute, row.row.impressions])).toEqual([['2024-01-01 12:01:00', 2]])
  })
})
