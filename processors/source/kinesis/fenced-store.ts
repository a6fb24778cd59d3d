// The fence in front of the checkpoint store: before a checkpoint (an intent or a committed position)
// of a shard is written, the lease is renewed on the condition that this worker still holds it with
// the counter it took. A worker paused past its lease thus writes nothing for that shard: it fails
// with LeaseLostError (not retried) and stops, and the new owner replays from the last commit with the
// recorded intent, so the blocks it cuts carry the same deduplication tokens.
import type { Checkpoint, CheckpointStore } from '../../../pipeline/checkpoint.ts'
import { leaseKey } from './lease-table.ts'

export interface LeaseFence {
  verify(key: string): Promise<void>
}

export function fencedCheckpoints(store: CheckpointStore, fence: LeaseFence): CheckpointStore {
  return {
    load: (source, stream) => store.load(source, stream),
    write: async (checkpoints: readonly Checkpoint[]) => {
      const keys = new Set(checkpoints.map((checkpoint) => leaseKey(checkpoint.stream, checkpoint.partition)))
      await Promise.all([...keys].map((key) => fence.verify(key)))
      await store.write(checkpoints)
    },
  }
}
