// How far the IP assignment stream is known: a moment before which every assignment the stream took
// is written to ClickHouse (its partitions' checkpoints cover it), and so is in the ownership index
// once it has been read again after that. A flow appended at S may be attributed once the frontier
// passes S plus the hold-back (an assignment may be sent that much after the flows it explains).
// The hold-back alone only waits in processing time, which is no wait at all for a backlog: after a
// restart or an outage, flows hours old would be attributed before the assignments next to them on
// the stream had been read by whichever processor owns those partitions.
import type { CheckpointStore } from '../../pipeline/checkpoint.ts'
import type { Source } from '../../pipeline/source.ts'

export interface FrontierOptions {
  /** The assignment stream (topic or Kinesis stream). */
  stream: string
  source: Pick<Source, 'name' | 'covers'>
  checkpoints: CheckpointStore
}

export class AssignmentFrontier {
  constructor(private readonly options: FrontierOptions) {}

  /**
   * True when every assignment appended before `asOfMs` is in ClickHouse. The checkpoints are read
   * first and the stream's ends after, so a position committed later can only make the answer safer.
   */
  async covers(asOfMs: number): Promise<boolean> {
    const { stream, source, checkpoints } = this.options
    const stored = await checkpoints.load(source.name, stream)
    const committed = new Map<string, string>()
    for (const [partition, checkpoint] of stored) if (checkpoint.position !== undefined) committed.set(partition, checkpoint.position)
    return source.covers(stream, committed, asOfMs)
  }
}
