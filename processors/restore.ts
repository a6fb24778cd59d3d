// Rebuilds a partition's client-event state when it is assigned, from what the sink already holds up
// to the committed position: the raw rows are the changelog. The watermark comes from the
// checkpoint; the ids within the dedup horizon, the app sessions' A/B cells and the open (and
// recently ended) playback sessions come from the events. Rows past the committed position (a block
// that landed before a crash) are left out: the replay of that block applies them again. Events are
// folded in stream order: by position, then by place within an aggregated record, as the first pass
// saw them.
import type { Checkpoint } from '../pipeline/checkpoint.ts'
import type { StateStore } from '../pipeline/state.ts'
import type { ClientPartition } from './client-partition.ts'

export interface PartitionState {
  highestEventTime: number
}

export function decodeState(text: string): PartitionState | undefined {
  if (text === '') return undefined
  // -Infinity (a partition with no event yet) serialises as null.
  const parsed = JSON.parse(text) as { highestEventTime?: unknown }
  return typeof parsed.highestEventTime === 'number' ? { highestEventTime: parsed.highestEventTime } : undefined
}

/** Replays into `state` the events that shape it; returns how many were applied. */
export async function restoreClientPartition(
  store: StateStore,
  checkpoint: Checkpoint,
  state: ClientPartition,
  /** How far back in event time the state reaches (stateHorizonMs). */
  lookBack: number,
): Promise<number> {
  if (checkpoint.position === undefined) return 0
  const since = Number.isFinite(state.clock.highestEventTime) ? Math.floor(state.clock.highestEventTime - lookBack) : 0
  const events = await store.clientEvents({ partition: checkpoint.partition, upTo: checkpoint.position, since })
  for (const event of events) state.restore(event)
  state.dropSessions(await store.endedSessions([...state.sessions.keys()]))
  return events.length
}
