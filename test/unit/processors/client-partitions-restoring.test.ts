// A partition whose state is still being rebuilt writes nothing on a stop (half a restore would write
// its open minutes short and mark them written), and a restore that fails leaves no half state for
// the next attempt to fold onto.
import { describe, expect, it } from 'vitest'
import { ClientPartitions } from '../../../processors/client-partitions.ts'
import { partitionKey } from '../../../pipeline/rows.ts'
import type { Checkpoint } from '../../../pipeline/checkpoint.ts'
import type { StateStore, StoredClientEvent } from '../../../pipeline/state.ts'
import { testLogger } from '../../helpers/services.ts'
import { clientEvent } from '../schemas/fixtures.ts'

const SETTINGS = { windowMs: 60_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, dedupHorizonMs: 600_000, sessionTimeoutMs: 1_800_000, careRebufferRatio: 0.05, enrichHoldBackMs: 0 }
const T0 = 1_700_000_000_000
const KEY = partitionKey('events', '0')
const checkpoint: Checkpoint = { source: 'kinesis', stream: 'events', partition: '0', position: '2', pending: undefined, state: JSON.stringify({ highestEventTime: T0 + 1000 }) }
const start = (id: string, time: number): StoredClientEvent => ({ event: clientEvent({ event_id: id, playback_id: 'pb-1', event_type: 'playback_start', event_time: time, client_send_time: time, exit_reason: null }), position: id === 'a' ? '1' : '2' })

/** A sink whose answer stops after its first event until `release` is called, then ends or fails. */
function slowSink(outcome: 'end' | 'fail'): StateStore & { release: () => void; reading: Promise<void> } {
  let release = (): void => undefined
  let reached = (): void => undefined
  const gate = new Promise<void>((resolve) => (release = resolve))
  const reading = new Promise<void>((resolve) => (reached = resolve))
  return {
    release,
    reading,
    assignmentsSince: () => Promise.resolve([]),
    clientEvents: async function* () {
      yield start('a', T0)
      reached()
      await gate
      if (outcome === 'fail') throw new Error('connection reset')
      yield start('b', T0 + 1000)
    },
    endedSessions: () => Promise.resolve([]),
  }
}

describe('ClientPartitions: a restore under way', () => {
  it('writes no snapshot of a partition until its restore is done', async () => {
    const sink = slowSink('end')
    const partitions = new ClientPartitions(SETTINGS, sink, testLogger().logger)
    const assigned = partitions.assign('events', '0', checkpoint)
    await sink.reading
    expect(partitions.shutdownSnapshot(KEY)).toBeUndefined()
    sink.release()
    await assigned
    expect(partitions.shutdownSnapshot(KEY)?.position).toBe('2')
  })

  it('forgets the half-built state of a restore that failed, so a retry starts from scratch', async () => {
    const sink = slowSink('fail')
    const partitions = new ClientPartitions(SETTINGS, sink, testLogger().logger)
    const assigned = partitions.assign('events', '0', checkpoint)
    await sink.reading
    sink.release()
    await expect(assigned).rejects.toThrow('connection reset')
    expect([...partitions.keys()]).toEqual([])
    expect(partitions.shutdownSnapshot(KEY)).toBeUndefined()
  })
})
