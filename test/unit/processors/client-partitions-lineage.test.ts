// A Kinesis child shard (a split or a merge) carries on its parents' per-key state: a playback that
// started in the parent and goes on in the child is one session (its start, its A/B cells, its played
// time), a parent's event id sent again is still a duplicate, and sessions of keys that went to the
// sibling are neither written nor timed out from here.
import { describe, expect, it } from 'vitest'
import { ClientPartitions } from '../../../processors/client-partitions.ts'
import { partitionKey, type DerivedRow } from '../../../pipeline/rows.ts'
import type { Checkpoint } from '../../../pipeline/checkpoint.ts'
import type { Lineage } from '../../../pipeline/source.ts'
import type { StateStore } from '../../../pipeline/state.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { testLogger } from '../../helpers/services.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const SETTINGS = { windowMs: 60_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, dedupHorizonMs: 600_000, sessionTimeoutMs: 1_800_000, careRebufferRatio: 0.05, enrichHoldBackMs: 0 }
const T0 = 1_700_000_000_000
const STREAM = 'events'

const event = (id: string, type: ClientEvent['event_type'], time: number, overrides: Partial<ClientEvent> = {}): ClientEvent =>
  clientEvent({ event_id: id, event_type: type, event_time: time, client_send_time: time, exit_reason: null, duration_ms: null, ...overrides })

/** The parent shard's events, as the sink holds them: two playbacks of two app sessions, one with an A/B cell. */
const PARENT_EVENTS: ClientEvent[] = [
  event('a0000000-0000-4000-8000-000000000001', 'ab_allocation', T0, { app_session_id: 'app-1', playback_id: null, ab_test_id: 'test-7', ab_cell: 'cell-2' }),
  event('a0000000-0000-4000-8000-000000000002', 'playback_start', T0 + 1000, { app_session_id: 'app-1', playback_id: 'pb-1', duration_ms: 800 }),
  event('a0000000-0000-4000-8000-000000000003', 'playback_start', T0 + 2000, { app_session_id: 'app-2', playback_id: 'pb-2', duration_ms: 900 }),
]

function sinkWith(byPartition: Record<string, ClientEvent[]>): StateStore {
  return {
    assignmentsSince: () => Promise.resolve([]),
    clientEvents: (history) => (byPartition[history.partition] ?? []).map((stored, index) => ({ event: stored, position: String(index + 1) })),
    endedSessions: () => Promise.resolve([]),
  }
}

const parentCheckpoint: Checkpoint = { source: 'kinesis', stream: STREAM, partition: 'parent', position: '3', pending: undefined, state: JSON.stringify({ highestEventTime: T0 + 2000, windowsFlushedAt: '3' }) }
const lineage: Lineage = { parentsOf: (shard) => (shard === 'child' ? ['parent'] : []), checkpointOf: (shard) => (shard === 'parent' ? parentCheckpoint : undefined) }

const noRaw = (): DerivedRow => ({ table: 'client_events', row: {} })
const sessionRows = (rows: readonly DerivedRow[]): Record<string, unknown>[] => rows.filter((row) => row.table === 'playback_sessions').map((row) => row.row)

async function child(withLineage: boolean): Promise<ClientPartitions> {
  const partitions = new ClientPartitions(SETTINGS, sinkWith({ parent: PARENT_EVENTS }), testLogger().logger)
  await partitions.assign(STREAM, 'child', undefined, withLineage ? lineage : undefined)
  return partitions
}

describe('ClientPartitions: a child shard carries on its parents', () => {
  it("continues a parent's playback as one session, with its start and A/B cells", async () => {
    const partitions = await child(true)
    const state = partitions.get(STREAM, 'child')
    const stop = state.process(event('a0000000-0000-4000-8000-000000000004', 'playback_stop', T0 + 61_000, { app_session_id: 'app-1', playback_id: 'pb-1', exit_reason: 'user_exit' }), noRaw)
    const [session] = sessionRows(stop.rows)
    expect(session).toMatchObject({ session_id: 'pb-1', started: 1, startup_ms: 800, start_time: T0 + 1000, played_ms: 60_000, ab_cells: ['test-7:cell-2'], ended: 1 })
  })

  it('without its lineage the same stop opens a session of its own (what the lineage fixes)', async () => {
    const partitions = await child(false)
    const stop = partitions.get(STREAM, 'child').process(event('a0000000-0000-4000-8000-000000000004', 'playback_stop', T0 + 61_000, { app_session_id: 'app-1', playback_id: 'pb-1', exit_reason: 'user_exit' }), noRaw)
    expect(sessionRows(stop.rows)[0]).toMatchObject({ started: 0, played_ms: 0, ab_cells: [] })
  })

  it("drops a parent's event id sent again as a duplicate", async () => {
    const partitions = await child(true)
    const again = PARENT_EVENTS[1]
    if (again === undefined) throw new Error('no event')
    expect(partitions.get(STREAM, 'child').process(again, noRaw).arrival).toBe('duplicate')
  })

  it("writes on shutdown only the sessions continued here, not the sibling's", async () => {
    const partitions = await child(true)
    const key = partitionKey(STREAM, 'child')
    partitions.get(STREAM, 'child').process(event('a0000000-0000-4000-8000-000000000005', 'pause', T0 + 30_000, { app_session_id: 'app-1', playback_id: 'pb-1' }), noRaw)
    partitions.processedUpTo(key, '1')
    const snapshot = partitions.shutdownSnapshot(key)
    expect(sessionRows(snapshot?.rows ?? []).map((row) => row.session_id)).toEqual(['pb-1'])
  })

  it("does not time out from here a session that went to the sibling", async () => {
    const partitions = await child(true)
    const state = partitions.get(STREAM, 'child')
    expect(state.inheritedSessions).toBe(2)
    // Past pb-2's timeout by event time: nothing is written for it here; pb-1 was continued and times out.
    state.process(event('a0000000-0000-4000-8000-000000000006', 'pause', T0 + 3000, { app_session_id: 'app-1', playback_id: 'pb-1' }), noRaw)
    const later = state.process(event('a0000000-0000-4000-8000-000000000007', 'row_impression', T0 + 2 * SETTINGS.sessionTimeoutMs, { app_session_id: 'app-3', playback_id: null }), noRaw)
    expect(sessionRows(later.rows).map((row) => [row.session_id, row.exit_reason])).toEqual([['pb-1', 'timeout']])
    expect(state.inheritedSessions).toBe(0)
  })
})
