// The fence in front of a Kafka partition's checkpoints. kafkajs never tells a member it lost a
// partition, and a member paused past its session timeout (SIGSTOP, a long GC) wakes believing it
// still owns it, so the check is made against ClickHouse, where the new owner claimed the partition:
// every row carries its writer's fence (the group generation it was assigned the partition in), a new
// owner first writes a claim row under its own, higher fence and only then reads the checkpoint, and
// a writer reads the highest fence back right after recording an intent. Without compare-and-set,
// "write, then read" on both sides is what makes it safe (see README, "Guarantees", "Fencing").
import { PulseError } from '../../../runtime/errors.ts'
import type { Checkpoint, CheckpointStore } from '../../../pipeline/checkpoint.ts'
import { partitionKey } from '../../../pipeline/rows.ts'

/** What the fence needs of the store beneath it (sinks/clickhouse/checkpoint-store.ts). */
export interface FenceableCheckpointStore extends CheckpointStore {
  /** `skipClaims`: a claim row (no content) hides nothing: the newest row with content under the highest fence that has one wins. */
  load(source: string, stream: string, options?: { skipClaims?: boolean }): Promise<Map<string, Checkpoint>>
  /** The highest fence any row of each partition carries, claims included. */
  highestFences(source: string, stream: string, partitions?: readonly string[]): Promise<Map<string, number>>
}

/** Another member holds the partition now: nothing more may be written for it, and retrying cannot help. */
export class PartitionFencedError extends PulseError {
  constructor(key: string, ours: number, theirs: number) {
    super(`fenced out of Kafka partition ${key}: another processor claimed it (fence ${describeFence(theirs)}, ours ${describeFence(ours)}) while this one was paused past its session timeout; stopping without writing`, { retriable: false })
  }
}

/**
 * A fence is the generation id in the low 32 bits and an epoch above: the generation alone would
 * restart at 1 should the group be deleted (or renamed) while its checkpoints stay, and every new
 * owner would then lose to the old rows. An owner whose generation is not above the highest fence's
 * takes the next epoch instead. Two owners of one partition never share a generation, so never a fence.
 */
const GENERATION_SPAN = 2 ** 32

export function fenceFor(generation: number, highest: number): number {
  const epoch = Math.floor(highest / GENERATION_SPAN)
  const below = highest % GENERATION_SPAN
  return (generation > below ? epoch : epoch + 1) * GENERATION_SPAN + generation
}

function describeFence(fence: number): string {
  const epoch = Math.floor(fence / GENERATION_SPAN)
  const generation = fence % GENERATION_SPAN
  return epoch === 0 ? `generation ${generation}` : `epoch ${epoch}, generation ${generation}`
}

export interface PartitionFenceOptions {
  store: FenceableCheckpointStore
  source: string
  /**
   * A partition moves without this member's consent only after its session lapsed; a write this long
   * after the partition's last check reads the fence first, so a member woken from a pause writes
   * nothing at all (half the session timeout: its last heartbeat may predate the check).
   */
  recheckAfterMs: number
  /** Told once, when a check finds a partition taken: the source stops reading and fails. */
  onFenced: (error: PartitionFencedError) => void
  now?: () => number
}

export class PartitionFence implements CheckpointStore {
  /** The fence each partition this member holds was claimed under, by "topic/partition". */
  private readonly held = new Map<string, number>()
  /** When each held partition was last found not claimed by another (its claim or a check). */
  private readonly confirmedAt = new Map<string, number>()
  private fencedOut: PartitionFencedError | undefined
  private readonly store: FenceableCheckpointStore
  private readonly source: string
  private readonly now: () => number

  constructor(private readonly options: PartitionFenceOptions) {
    this.store = options.store
    this.source = options.source
    this.now = options.now ?? Date.now
  }

  load(source: string, stream: string): Promise<Map<string, Checkpoint>> {
    return this.store.load(source, stream, { skipClaims: true })
  }

  /**
   * Claims the partitions of one topic assigned in `generation`: a claim row under a fence above any
   * stored, then the checkpoints read (and kept under the new fence). A stale owner that recorded an intent before this claim landed
   * had it read here (and this owner cuts the same block); one that records it after finds the claim.
   */
  async claim(topic: string, partitions: readonly string[], generation: number): Promise<Map<string, Checkpoint>> {
    const asOf = this.now()
    const highest = await this.store.highestFences(this.source, topic, partitions)
    const claims = partitions.map((partition) => ({ source: this.source, stream: topic, partition, position: undefined, pending: undefined, state: '', fence: this.fenceToClaim(topic, partition, generation, highest.get(partition) ?? 0) }))
    await this.store.write(claims)
    for (const claim of claims) this.held.set(partitionKey(topic, claim.partition), claim.fence)
    for (const claim of claims) this.confirmedAt.set(partitionKey(topic, claim.partition), asOf)
    const stored = new Map([...(await this.load(this.source, topic))].filter(([partition]) => partitions.includes(partition)))
    // What was read, written again under this owner's fence: from here on no earlier owner's row is
    // read, not even a late refused intent. Should this owner die before, the bare claim hides nothing.
    await this.store.write([...stored.values()].map((checkpoint) => ({ ...checkpoint, fence: this.fenceOf(checkpoint) })))
    return stored
  }

  /** A claim retried within one generation (ClickHouse was down) keeps its fence rather than take the next epoch. */
  private fenceToClaim(topic: string, partition: string, generation: number, highest: number): number {
    const kept = this.held.get(partitionKey(topic, partition))
    return kept !== undefined && kept % GENERATION_SPAN === generation && kept >= highest ? kept : fenceFor(generation, highest)
  }

  /** A partition given up (flushed and committed first): nothing more is written for it under this fence. */
  release(topic: string, partition: string): void {
    this.held.delete(partitionKey(topic, partition))
    this.confirmedAt.delete(partitionKey(topic, partition))
  }

  /**
   * An intent is written, then checked (the one read each flush round costs): landed before a
   * successor's claim, the successor read it and cuts the same block; landed after, the check finds
   * the claim and the block is not inserted. A committed position vouches for rows already in, so it
   * needs no handshake: a row landing late carries the old fence and is never read again. Either is
   * checked first too when the partition was last confirmed long ago (a pause), so a woken member
   * writes nothing.
   */
  async write(checkpoints: readonly Checkpoint[]): Promise<void> {
    if (this.fencedOut !== undefined) throw this.fencedOut
    const fenced = checkpoints.map((checkpoint) => ({ ...checkpoint, fence: this.fenceOf(checkpoint) }))
    if (fenced.some((checkpoint) => this.unconfirmedFor(checkpoint) > this.options.recheckAfterMs)) await this.check(fenced)
    await this.store.write(fenced)
    if (fenced.some((checkpoint) => checkpoint.pending !== undefined)) await this.check(fenced)
  }

  private unconfirmedFor(checkpoint: Checkpoint): number {
    return this.now() - (this.confirmedAt.get(partitionKey(checkpoint.stream, checkpoint.partition)) ?? Number.NEGATIVE_INFINITY)
  }


  private fenceOf(checkpoint: Checkpoint): number {
    const fence = this.held.get(partitionKey(checkpoint.stream, checkpoint.partition))
    if (fence === undefined) throw new PulseError(`no claim held for Kafka partition ${partitionKey(checkpoint.stream, checkpoint.partition)}; refusing to write its checkpoint`, { retriable: false })
    return fence
  }

  /** One read per round for all its partitions of a topic: the highest fence each carries in ClickHouse. */
  private async check(checkpoints: readonly (Checkpoint & { fence: number })[]): Promise<void> {
    for (const topic of new Set(checkpoints.map((checkpoint) => checkpoint.stream))) {
      const mine = checkpoints.filter((checkpoint) => checkpoint.stream === topic)
      // Taken before the read: what the read confirms held at least from then on.
      const asOf = this.now()
      const highest = await this.store.highestFences(this.source, topic, mine.map((checkpoint) => checkpoint.partition))
      for (const checkpoint of mine) {
        const theirs = highest.get(checkpoint.partition) ?? 0
        if (theirs > checkpoint.fence) this.fenceOut(new PartitionFencedError(partitionKey(topic, checkpoint.partition), checkpoint.fence, theirs))
        else if (this.held.has(partitionKey(topic, checkpoint.partition))) this.confirmedAt.set(partitionKey(topic, checkpoint.partition), asOf)
      }
    }
    if (this.fencedOut !== undefined) throw this.fencedOut
  }

  /** Fenced once, fenced for good: the process stops and its successor replays from the last commit. */
  private fenceOut(error: PartitionFencedError): void {
    if (this.fencedOut !== undefined) return
    this.fencedOut = error
    this.held.clear()
    this.confirmedAt.clear()
    this.options.onFenced(error)
  }
}
