// A partition's A/B cells: engagement partials carry the cells of the event's app session, and an
// app session idle for longer than the state horizon is forgotten, as a restore would not bring its
// cells back either.
import { describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { ClientPartition, stateHorizonMs, type ClientProcessingSettings } from '../../../processors/client-partition.ts'
import { clientEventRow } from '../../../processors/rows.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const SETTINGS: ClientProcessingSettings = {
  windowMs: 60_000,
  outOfOrdernessMs: 5_000,
  allowedLatenessMs: 60_000,
  dedupHorizonMs: 600_000,
  sessionTimeoutMs: 1_800_000,
  careRebufferRatio: 0.05,
  enrichHoldBackMs: 0,
}
const T0 = 1_700_000_000_000

function event(overrides: Partial<ClientEvent>): ClientEvent {
  return clientEvent({ event_id: randomUUID(), playback_id: null, exit_reason: null, title_id: 'title-1', ...overrides })
}

function engagementCells(partition: ClientPartition, e: ClientEvent): string[] {
  const outcome = partition.process(e, (arrival) => ({ table: 'client_events', row: clientEventRow(e, { ingestTimeMs: 0, partition: '0', position: '0' }, arrival) }))
  // An on-time event's engagement waits in its open window: take it out as the window stands.
  return [...outcome.rows, ...partition.windows.flushAll()].filter((row) => row.table === 'engagement_1m').map((row) => `${String(row.row.ab_test_id)}:${String(row.row.ab_cell)}`)
}

describe('ClientPartition A/B cells', () => {
  it('attributes engagement to every cell of the app session', () => {
    const partition = new ClientPartition(SETTINGS)
    engagementCells(partition, event({ event_type: 'ab_allocation', ab_test_id: 'artwork', ab_cell: 'b', event_time: T0 }))
    engagementCells(partition, event({ event_type: 'ab_allocation', ab_test_id: 'rows', ab_cell: 'a', event_time: T0 + 1 }))
    expect(engagementCells(partition, event({ event_type: 'title_click', event_time: T0 + 2 }))).toEqual(['artwork:b', 'rows:a'])
  })

  it('forgets the cells of an app session idle for longer than the state horizon, and only those', () => {
    const partition = new ClientPartition(SETTINGS)
    const horizon = stateHorizonMs(SETTINGS)
    engagementCells(partition, event({ event_type: 'ab_allocation', app_session_id: 'idle', ab_test_id: 'artwork', ab_cell: 'b', event_time: T0 }))
    engagementCells(partition, event({ event_type: 'ab_allocation', app_session_id: 'busy', ab_test_id: 'artwork', ab_cell: 'a', event_time: T0 }))
    // The busy app session goes on; time moves past the idle one's horizon.
    for (let t = T0; t <= T0 + horizon + 120_000; t += 60_000) engagementCells(partition, event({ event_type: 'title_click', app_session_id: 'busy', event_time: t }))
    const later = T0 + horizon + 121_000
    expect(engagementCells(partition, event({ event_type: 'title_click', app_session_id: 'busy', event_time: later }))).toEqual(['artwork:a'])
    expect(engagementCells(partition, event({ event_type: 'title_click', app_session_id: 'idle', event_time: later }))).toEqual([':'])
  })
})

describe('ClientPartition with derived rows switched off', () => {
  it('yields only raw rows and keeps no windows or sessions, still dropping duplicates', () => {
    const partition = new ClientPartition({ ...SETTINGS, derived: false })
    const raw = (e: ClientEvent) => (arrival: 'on_time' | 'late' | 'too_late') => ({ table: 'client_events', row: clientEventRow(e, { ingestTimeMs: 0, partition: '0', position: '0' }, arrival) })
    const start = event({ event_type: 'playback_start', playback_id: 'pb-1', event_time: T0, duration_ms: 900 })
    const tables: string[] = []
    for (const e of [start, event({ event_type: 'title_click', event_time: T0 + 120_000 }), start]) tables.push(...partition.process(e, raw(e)).rows.map((row) => row.table))
    expect(tables).toEqual(['client_events', 'client_events'])
    expect(partition.windows.flushAll()).toEqual([])
    expect(partition.openSessionRows()).toEqual([])
  })
})

describe('ClientPartition session timeouts', () => {
  const timeout = 60_000
  const settings: ClientProcessingSettings = { ...SETTINGS, sessionTimeoutMs: timeout }

  function feed(partition: ClientPartition, e: ClientEvent): string[] {
    const outcome = partition.process(e, (arrival) => ({ table: 'client_events', row: clientEventRow(e, { ingestTimeMs: 0, partition: '0', position: '0' }, arrival) }))
    return outcome.rows.filter((row) => row.table === 'playback_sessions' && row.row.ended === 1).map((row) => String(row.row.session_id))
  }

  it('ends a session a timeout after its last event, not its first, and each idle one exactly once', () => {
    const partition = new ClientPartition(settings)
    const ended: string[] = []
    ended.push(...feed(partition, event({ event_type: 'playback_start', playback_id: 'busy', event_time: T0 })))
    ended.push(...feed(partition, event({ event_type: 'playback_start', playback_id: 'idle', event_time: T0 + 1_000 })))
    // 'busy' keeps playing past its first deadline; 'idle' says nothing more.
    for (let t = T0 + 20_000; t <= T0 + 120_000; t += 20_000) ended.push(...feed(partition, event({ event_type: 'bitrate_change', playback_id: 'busy', event_time: t })))
    expect(ended).toEqual(['idle'])
    expect(partition.sessions.has('busy')).toBe(true)
    // Another viewer's traffic moves the watermark on; 'busy' ends once a timeout has passed since its last event.
    const other = (t: number): string[] => feed(partition, event({ event_type: 'row_impression', playback_id: null, event_time: t }))
    ended.push(...other(T0 + 120_000 + timeout + settings.outOfOrdernessMs - 1_000))
    expect(ended).toEqual(['idle'])
    ended.push(...other(T0 + 120_000 + timeout + settings.outOfOrdernessMs + 2_000))
    expect(ended).toEqual(['idle', 'busy'])
    expect(partition.sessions.size).toBe(0)
  })

  it('forgets an ended session once its events would all be too late, and not before', () => {
    const partition = new ClientPartition(settings)
    feed(partition, event({ event_type: 'playback_start', playback_id: 'p', event_time: T0 }))
    feed(partition, event({ event_type: 'playback_stop', playback_id: 'p', exit_reason: 'completed', event_time: T0 + 1_000 }))
    expect(partition.endedSessions.has('p')).toBe(true)
    const forgetAt = T0 + 1_000 + settings.windowMs + settings.allowedLatenessMs + settings.outOfOrdernessMs
    feed(partition, event({ event_type: 'row_impression', event_time: forgetAt - 2_000 }))
    expect(partition.endedSessions.has('p')).toBe(true)
    feed(partition, event({ event_type: 'row_impression', event_time: forgetAt + 2_000 }))
    expect(partition.endedSessions.has('p')).toBe(false)
  })
})
