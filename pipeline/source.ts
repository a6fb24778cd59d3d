// What every source (Kinesis shards, Kafka partitions) hands to the pipeline, and what it needs back.
import type { Checkpoint } from './checkpoint.ts'

export interface SourceRecord {
  /** Position within the partition: Kafka offset or Kinesis sequence number, as a decimal string. */
  position: string
  data: Buffer
  /** When the stream accepted the record (epoch ms), if the stream says. */
  streamTimeMs: number | undefined
  /** A Kafka tombstone: the record has no value at all (null, not empty), so `data` is empty. */
  tombstone?: boolean
}

export interface SourceBatch {
  stream: string
  partition: string
  records: readonly SourceRecord[]
  /**
   * Records the stream held past this batch when it was fetched (Kafka: the partition's high
   * watermark less the offset after the batch); unset when the source does not know. A partition
   * with more waiting than its batch held is catching up, and its blocks are sealed on size rather
   * than age (segments.ts, noteBacklog).
   */
  behind?: number | undefined
  /**
   * Aborted when the source takes the partition back (a rebalance, a lost lease, a stop) while the
   * batch still waits to be taken: flows held back for enrichment wait on an assignment partition
   * that can only be handed to a live member once this one has given its partitions up, so a
   * member that waited for them to be taken first held the whole group up. A withdrawn batch is
   * left untaken (nothing of it applied or written); the partition's next reader fetches it again.
   */
  withdrawn?: AbortSignal
}

/** 'withdrawn': the batch was left untaken on its `withdrawn` signal; nothing of it was applied. */
export type BatchOutcome = 'taken' | 'withdrawn'

/** Called with each batch, in order per partition; the source fetches no more for that partition until it resolves. */
export type BatchHandler = (batch: SourceBatch) => Promise<BatchOutcome>

/**
 * Where a partition came from, when it continues others: a Kinesis shard made by a split or a merge
 * is read only once its parents are read to their end, and the keys it receives were theirs before.
 */
export interface Lineage {
  /** The partitions a partition was split or merged from (none for an original one). */
  parentsOf(partition: string): readonly string[]
  /** A partition's stored checkpoint (its last, for a parent read to its end). */
  checkpointOf(partition: string): Checkpoint | undefined
}

export interface PartitionLifecycle {
  /** A partition this process now reads, with its stored checkpoint (undefined: read from the start) and, for a child shard, its lineage. */
  onAssigned?(stream: string, partition: string, checkpoint: Checkpoint | undefined, lineage?: Lineage): Promise<void>
  /** A partition this process gives up: flush and commit what it holds for it before resolving. */
  onRevoked?(stream: string, partition: string): Promise<void>
  /**
   * The source stopped reading for a reason other than stop() (the pipeline failed a batch, the
   * client gave up): the process must stop, not stay up and "ready" with nothing moving.
   */
  onFailed?(error: unknown): void
}

export interface Source {
  readonly name: 'kinesis' | 'kafka'
  start(handler: BatchHandler, lifecycle?: PartitionLifecycle): Promise<void>
  /** Acknowledges that every row derived from records up to `position` is in ClickHouse. */
  commit(stream: string, partition: string, position: string): Promise<void>
  /**
   * Whether the positions in `committed` (partition → last committed position) cover every record
   * `stream` took before `appendedBeforeMs`, on every one of its partitions: the frontier flows wait
   * for on the assignment stream (processors/enrich/frontier.ts). Called after that time.
   */
  covers(stream: string, committed: ReadonlyMap<string, string>, appendedBeforeMs: number): Promise<boolean>
  /** True while the source can reach its stream; /readyz reports it. */
  readonly isConnected: boolean
  stop(): Promise<void>
}
