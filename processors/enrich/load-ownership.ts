// Rebuilds the ownership history from the assignments the sink already holds at start-up, and keeps
// reading what other processors write: the sink of the assignment stream doubles as its state store,
// so a restart attributes old flows correctly and, when a consumer group splits the assignment
// partitions among several processors, each still learns every change (within the hold-back).
import type { StateStore } from '../../pipeline/state.ts'
import type { IpOwnershipIndex } from './ip-ownership.ts'

export interface OwnershipLoad {
  applied: number
  /** Highest ingest time read (epoch ms), to ask only for newer rows next time. */
  newestIngestMs: number
}

/** Applies the changes ingested at or after `sinceIngestMs`; changes the index already has are skipped. */
export async function loadOwnership(store: StateStore, index: IpOwnershipIndex, sinceIngestMs = 0): Promise<OwnershipLoad> {
  const load: OwnershipLoad = { applied: 0, newestIngestMs: sinceIngestMs }
  for (const { assignment, ingestTimeMs } of await store.assignmentsSince(sinceIngestMs)) {
    if (index.apply(assignment) === 'applied') load.applied++
    load.newestIngestMs = Math.max(load.newestIngestMs, ingestTimeMs)
  }
  return load
}
