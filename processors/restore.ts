// Rebuilds a partition's client-event state when it is assigned, from what the sink already holds up
// to the committed position: the raw rows are the changelog. The watermark comes from the
// checkpoint; the ids within the dedup horizon, the app sessions' A/B cells, the open (and
// recently ended) playback sessions and the open minute windows come from the events. A window is
// open at the checkpoint exactly when its end is past the checkpoint's watermark: every event of it
// up to the committed position was on time and its row is not written yet, so the events rebuild it
// (those at or before a shutdown's flush excepted: that flush wrote them). Rows past the committed position (a block
// that landed before a crash) are left out: the replay of that block applies them again. Events are
// folded in stream order: by position, then by place within an aggregated record, as the first pass
// saw them.
import type { Checkpoint } from '../pipeline/checkpoint.ts'
import type { StateStore } from '../pipeline/state.ts'
import type { ClientPartition, PartitionCheckpointState } from './client-partition.ts'

export function decodeState(text: string): PartitionCheckpointState | undefined {
  if (text === '') return undefined
  // -Infinity (a partition with no event yet) serialises as null.
  const parsed = JSON.parse(text) as { highestEventTime?: unknown; windowsFlushedAt?: unknown }
  if (typeof parsed.highestEventTime !== 'number') return undefined
  const flushed = typeof parsed.windowsFlushedAt === 'string' ? { windowsFlushedAt: parsed.windowsFlushedAt } : {}
  return { highestEventTime: parsed.highestEventTime, ...flushed }
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
  let applied = 0
  for await (const { event, position } of store.clientEvents({ partition: checkpoint.partition, upTo: checkpoint.position, since })) {
    state.restore(event, position)
    applied++
  }
  state.dropSessions(await store.endedSessions([...state.sessions.keys()]))
  return applied
}
