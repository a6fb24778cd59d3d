// Restoring a partition's client-event state from what the sink holds: the history asked for is the
// partition's, up to the committed position and back by the state horizon from the checkpoint's
// watermark; the events fold into open sessions and known ids; sessions the sink already holds as
// ended are closed; a partition never committed asks nothing.
import { describe, expect, it } from 'vitest'
import { ClientPartition } from '../../../processors/client-partition.ts'
import { decodeState, restoreClientPartition } from '../../../processors/restore.ts'
import type { Checkpoint } from '../../../pipeline/checkpoint.ts'
import type { ClientEventHistory, EndedSession, StateStore } from '../../../pipeline/state.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const SETTINGS = { windowMs: 60_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, dedupHorizonMs: 600_000, sessionTimeoutMs: 1_800_000, careRebufferRatio: 0.05, enrichHoldBackMs: 0 }
const T0 = 1_700_000_000_000

function store(events: ClientEvent[], ended: EndedSession[] = []): StateStore & { asked: ClientEventHistory[] } {
  const asked: ClientEventHistory[] = []
  return {
    asked,
    assignmentsSince: () => Promise.resolve([]),
    clientEvents: (history) => {
      asked.push(history)
      return events.map((event, index) => ({ event, position: String(index + 1) }))
    },
    endedSessions: (ids) => Promise.resolve(ended.filter((row) => ids.includes(row.sessionId))),
  }
}

const checkpoint = (position: string | undefined, highestEventTime: number): Checkpoint => ({ source: 'kinesis', stream: 's', partition: 'shard-1', position, pending: undefined, state: JSON.stringify({ highestEventTime }) })
const play = (id: string, playback: string, type: ClientEvent['event_type'], time: number): ClientEvent =>
  clientEvent({ event_id: id, playback_id: playback, event_type: type, event_time: time, client_send_time: time, exit_reason: type === 'playback_stop' ? 'completed' : null })

describe('restoreClientPartition', () => {
  it('asks for the partition up to the committed position, back by the horizon, and folds the answer', async () => {
    const events = [play('e1', 'pb-open', 'play_request', T0), play('e2', 'pb-open', 'playback_start', T0 + 1000), play('e3', 'pb-done', 'play_request', T0), play('e4', 'pb-done', 'playback_start', T0 + 500)]
    // pb-done was written as ended by a timeout: its row saw no event after its start.
    const source = store(events, [{ sessionId: 'pb-done', endTime: T0 + 500 }])
    const cp = checkpoint('42', T0 + 1000)
    const state = new ClientPartition(SETTINGS, decodeState(cp.state))
    const applied = await restoreClientPartition(source, cp, state, 120_000)
    expect(applied).toBe(4)
    expect(source.asked).toEqual([{ partition: 'shard-1', upTo: '42', since: T0 + 1000 - 120_000 }])
    // The ended one is closed; the open one stays open, and a repeat of a restored id is a duplicate.
    expect([...state.sessions.entries()].filter(([, session]) => !session.ended).map(([id]) => id)).toEqual(['pb-open'])
    const repeat = state.process(play('e2', 'pb-open', 'playback_start', T0 + 1000), () => ({ table: 'client_events', row: {} }))
    expect(repeat.arrival).toBe('duplicate')
  })

  it('keeps open a session whose ended row saw events past the committed position, so their replay folds its played time', async () => {
    // The stop at T0 + 61 s was in a block that landed after the checkpoint, just before a crash:
    // the replay of that block brings the stop again, and with it the minute's played time.
    const events = [play('e1', 'pb-1', 'play_request', T0), play('e2', 'pb-1', 'playback_start', T0 + 1000)]
    const cp = checkpoint('2', T0 + 1000)
    const state = new ClientPartition(SETTINGS, decodeState(cp.state))
    await restoreClientPartition(store(events, [{ sessionId: 'pb-1', endTime: T0 + 61_000 }]), cp, state, 120_000)
    expect(state.sessions.get('pb-1')?.ended).toBe(false)
    state.process(play('e3', 'pb-1', 'playback_stop', T0 + 61_000), () => ({ table: 'client_events', row: {} }))
    const flushed = state.flushWindows('3').filter((row) => row.table === 'qoe_1m')
    expect(flushed.map((row) => row.row.played_ms)).toEqual([60_000])
  })

  it('asks nothing for a partition that never committed', async () => {
    const source = store([play('e1', 'pb', 'play_request', T0)])
    const state = new ClientPartition(SETTINGS)
    expect(await restoreClientPartition(source, checkpoint(undefined, T0), state, 120_000)).toBe(0)
    expect(source.asked).toEqual([])
  })
})
