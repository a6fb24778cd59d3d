// The fence in front of the checkpoint store: before a checkpoint (an intent or a committed position)
// of a shard is written, the lease is renewed on the condition that this worker still holds it with
// the counter it took, and the row carries that counter as its fence. A worker paused past its lease
// thus fails with LeaseLostError (not retried) and stops; should it be frozen after the check and
// land the row late anyway, the row carries an older fence than its successor's claim and never
// wins (readers take the highest fence first). The new owner replays from the last commit with the
// recorded intent, so the blocks it cuts carry the same deduplication tokens.
//
// An intent is renewed for once more after its row is in, before its block is inserted. Frozen
// between the first check and the row landing, a worker would otherwise insert a block its successor
// never heard of: the successor had read the checkpoint before the late intent, cut its own block
// from the committed position, and both landed under different tokens (a chaos run duplicated 11,750
// rows so). Renewed after the row is in, the lease was still this worker's then, so any successor
// takes it later and reads the intent; not renewed, the block is not inserted.
import type { Checkpoint, CheckpointStore } from '../../../pipeline/checkpoint.ts'
import { leaseKey } from './lease-table.ts'

export interface LeaseFence {
  /** Renews the lease if it is still ours; answers the fencing token a checkpoint of it must carry. */
  verify(key: string): Promise<number>
  /** Lifts the lease's fencing token above `fence`. */
  raise(key: string, fence: number): Promise<void>
}

export class FencedCheckpoints implements CheckpointStore {
  constructor(
    private readonly store: CheckpointStore,
    private readonly fence: LeaseFence,
  ) {}

  load(source: string, stream: string): Promise<Map<string, Checkpoint>> {
    return this.store.load(source, stream)
  }

  async write(checkpoints: readonly Checkpoint[]): Promise<void> {
    const keys = new Set(checkpoints.map((checkpoint) => leaseKey(checkpoint.stream, checkpoint.partition)))
    const fences = new Map(await Promise.all([...keys].map(async (key) => [key, await this.fence.verify(key)] as const)))
    await this.store.write(checkpoints.map((checkpoint) => ({ ...checkpoint, fence: fences.get(leaseKey(checkpoint.stream, checkpoint.partition)) ?? 0 })))
    const intents = new Set(checkpoints.filter((checkpoint) => checkpoint.pending !== undefined).map((checkpoint) => leaseKey(checkpoint.stream, checkpoint.partition)))
    await Promise.all([...intents].map((key) => this.fence.verify(key)))
  }

  /**
   * A newly taken shard's checkpoint, written again at once under this lease's fence: from then on no
   * row of an earlier owner can win, even if this owner commits nothing for a while. A checkpoint
   * carrying a fence this lease has not reached (the lease table was made anew) lifts the lease first.
   */
  async claim(source: string, stream: string, partition: string): Promise<Checkpoint | undefined> {
    const stored = (await this.store.load(source, stream)).get(partition)
    if (stored?.fence !== undefined) await this.fence.raise(leaseKey(stream, partition), stored.fence)
    await this.write([{ source, stream, partition, position: stored?.position, pending: stored?.pending, state: stored?.state ?? '' }])
    return stored
  }
}
