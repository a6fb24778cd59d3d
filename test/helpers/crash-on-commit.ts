// A checkpoint store that fails the Nth commit, after the block it commits has been inserted: the
// moment a crash leaves rows in ClickHouse that no commit vouches for.
import type { Checkpoint } from '../../pipeline/checkpoint.ts'
import type { SinkParts } from '../../cli/roles.ts'
import { PulseError } from '../../runtime/errors.ts'

export function crashOnCommit(commitNumber: number, crashed: () => void): (parts: SinkParts) => SinkParts {
  return (parts) => {
    let commits = 0
    const store = Object.create(parts.store) as SinkParts['store']
    store.write = async (checkpoints: readonly Checkpoint[]): Promise<void> => {
      // A commit names a position and no pending block; a Kinesis claim of a fresh shard names neither.
      const isCommit = checkpoints.every((checkpoint) => checkpoint.pending === undefined && checkpoint.position !== undefined)
      if (isCommit && ++commits === commitNumber) {
        crashed()
        // Not retriable, so the flusher stops here, as a process dying at this point would.
        throw new PulseError('simulated crash between insert and commit', { retriable: false })
      }
      await parts.store.write(checkpoints)
    }
    return { ...parts, store }
  }
}
