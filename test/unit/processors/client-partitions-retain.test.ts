// A revoked partition's state set aside and taken up again: only when the partition comes back at
// the very checkpoint this process left (same position, watermark, window flush, nothing pending)
// is the restore skipped; any other checkpoint, or one past RETAIN_MS, rebuilds from the sink.
import { describe, expect, it } from 'vitest'
import { ClientPartitions, RETAIN_MS } from '../../../processors/client-partitions.ts'
import { partitionKey } from '../../../pipeline/rows.ts'
import type { Checkpoint } from '../../../pipeline/checkpoint.ts'
import type { ClientEventHistory, StateStore } from '../../../pipeline/state.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { testLogger } from '../../helpers/services.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const SETTINGS = { windowMs: 60_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, dedupHorizonMs: 600_000, sessionTimeoutMs: 1_800_000, careRebufferRatio: 0.05, enrichHoldBackMs: 0 }
const T0 = 1_700_000_000_000
const KEY = partitionKey('events', '0')

function store(events: ClientEvent[]): StateStore & { asked: ClientEventHistory[] } {
  const asked: ClientEventHistory[] = []
  return {
    asked,
    assignmentsSince: () => Promise.resolve([]),
    clientEvents: (history) => {
      asked.push(history)
      return events.map((event, index) => ({ event, position: String(index + 1) }))
    },
    endedSessions: () => Promise.resolve([]),
  }
}

const start = (id: string, playback: string, time: number): ClientEvent => clientEvent({ event_id: id, playback_id: playback, event_type: 'playback_start', event_time: time, client_send_time: time, exit_reason: null })

/** A partition that processed two events up to position 2, then was revoked; returns what its checkpoint says. */
function processedAndReleased(partitions: ClientPartitions, now: number): Checkpoint {
  const state = partitions.get('events', '0')
  state.process(start('e1', 'pb-1', T0), () => ({ table: 'client_events', row: {} }))
  state.process(start('e2', 'pb-2', T0 + 1000), () => ({ table: 'client_events', row: {} }))
  partitions.processedUpTo(KEY, '2', now)
  const snapshot = partitions.shutdownSnapshot(KEY)
  partitions.release(KEY, now)
  return { source: 'kafka', stream: 'events', partition: '0', position: '2', pending: undefined, state: JSON.stringify(snapshot?.state) }
}

describe('ClientPartitions: state kept across a rebalance', () => {
  it('takes the set-aside state up without reading the sink when the checkpoint is the one it left', async () => {
    const sink = store([])
    const partitions = new ClientPartitions(SETTINGS, sink, testLogger().logger)
    const checkpoint = processedAndReleased(partitions, T0)
    expect([...partitions.keys()]).toEqual([])
    await partitions.assign('events', '0', checkpoint, undefined, T0 + 5000)
    expect(sink.asked).toEqual([])
    const state = partitions.get('events', '0')
    expect([...state.sessions.keys()].sort()).toEqual(['pb-1', 'pb-2'])
    // The kept dedup ids still hold.
    expect(state.process(start('e2', 'pb-2', T0 + 1000), () => ({ table: 'client_events', row: {} })).arrival).toBe('duplicate')
  })

  it('rebuilds from the sink when another process moved the partition on, or something is pending', async () => {
    for (const change of [{ position: '3' }, { pending: { from: '3', to: '4' } }, { state: JSON.stringify({ highestEventTime: T0 + 9000 }) }]) {
      const sink = store([start('e1', 'pb-1', T0)])
      const partitions = new ClientPartitions(SETTINGS, sink, testLogger().logger)
      const checkpoint = { ...processedAndReleased(partitions, T0), ...change }
      await partitions.assign('events', '0', checkpoint, undefined, T0 + 5000)
      expect(sink.asked).toHaveLength(1)
      // Rebuilt from what the sink holds: pb-2 (only in the set-aside copy) is gone.
      expect([...partitions.get('events', '0').sessions.keys()]).toEqual(['pb-1'])
    }
  })

  it('lets a set-aside state go after RETAIN_MS', async () => {
    const sink = store([])
    const partitions = new ClientPartitions(SETTINGS, sink, testLogger().logger)
    const checkpoint = processedAndReleased(partitions, T0)
    partitions.expireRetained(T0 + RETAIN_MS + 1)
    await partitions.assign('events', '0', checkpoint, undefined, T0 + RETAIN_MS + 2)
    expect(sink.asked).toHaveLength(1)
    expect(partitions.get('events', '0').sessions.size).toBe(0)
  })
})
