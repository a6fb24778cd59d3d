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
    super(`fenced out of Kafka partition ${key}: another processor claimed it (fence ${describeFence(theirs)}, ours ${describeFence(ours)}) after this one fell out of the group (paused or silent past its session timeout); stopping without writing`, { retriable: false })
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

function epochOf(fence: number): number {
  return Math.floor(fence / GENERATION_SPAN)
}

function describeFence(fence: number): string {
  const epoch = epochOf(fence)
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
  /** Told when a claim starts a new epoch (the group's generations restarted below the stored fences). */
  onNewEpoch?: (topic: string, partitions: readonly string[], fence: number) => void
  now?: () => number
}

/** The group generation a partition was assigned in, as the coordinator sees it now. */
export interface Membership {
  generation: number
  /** True while the coordinator counts this member in `generation`; false once it was dropped. */
  stillMember(): Promise<boolean>
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
   * Claims the partitions of one topic assigned in `membership`'s generation: a claim row under a
   * fence above any stored, then the checkpoints read, and kept under the new fence. A stale owner
   * that recorded an intent before the claim landed had it read here (so this owner cuts the same
   * block); one that records it after finds the claim. A checkpoint read under a higher fence than
   * the claim means a later owner claimed meanwhile: this member is the stale one.
   */
  async claim(topic: string, partitions: readonly string[], membership: Membership): Promise<Map<string, Checkpoint>> {
    if (this.fencedOut !== undefined) throw this.fencedOut
    const asOf = this.now()
    const highest = await this.store.highestFences(this.source, topic, partitions)
    const fences = await this.fencesToClaim(topic, partitions, membership, highest)
    // Paused since the read (the heartbeat included), a later owner may have claimed: read again.
    if (this.now() - asOf > this.options.recheckAfterMs) return this.claim(topic, partitions, membership)
    await this.store.write(partitions.map((partition) => ({ source: this.source, stream: topic, partition, position: undefined, pending: undefined, state: '', fence: fences.get(partition) ?? 0 })))
    for (const partition of partitions) {
      this.held.set(partitionKey(topic, partition), fences.get(partition) ?? 0)
      this.confirmedAt.set(partitionKey(topic, partition), asOf)
    }
    const stored = new Map([...(await this.load(this.source, topic))].filter(([partition]) => partitions.includes(partition)))
    const overtaken = [...stored.values()].find((checkpoint) => (checkpoint.fence ?? 0) > (fences.get(checkpoint.partition) ?? 0))
    if (overtaken !== undefined) {
      const error = new PartitionFencedError(partitionKey(topic, overtaken.partition), fences.get(overtaken.partition) ?? 0, overtaken.fence ?? 0)
      this.fenceOut(error)
      throw error
    }
    // What was read, written again under this owner's fence (and checked as any write): from here on
    // no earlier owner's row is read, not even a late refused intent. Should this owner die first,
    // the bare claim hides nothing.
    await this.write([...stored.values()])
    return stored
  }

  /**
   * The fence of each partition's claim. A generation at or below the highest stored fence's means
   * either that this member is stale (a later generation exists) or that the group was made anew
   * (deleted, or emptied and expired: its generations restarted). Only the coordinator can tell:
   * a member it still counts in its generation takes the next epoch, any other is fenced out.
   */
  private async fencesToClaim(topic: string, partitions: readonly string[], membership: Membership, highest: ReadonlyMap<string, number>): Promise<Map<string, number>> {
    const fences = new Map(partitions.map((partition) => [partition, this.fenceToClaim(topic, partition, membership.generation, highest.get(partition) ?? 0)]))
    const behind = partitions.filter((partition) => epochOf(fences.get(partition) ?? 0) > epochOf(highest.get(partition) ?? 0))
    const first = behind[0]
    if (first === undefined) return fences
    if (!(await membership.stillMember())) {
      const theirs = highest.get(first) ?? 0
      const error = new PartitionFencedError(partitionKey(topic, first), epochOf(theirs) * GENERATION_SPAN + membership.generation, theirs)
      this.fenceOut(error)
      throw error
    }
    this.options.onNewEpoch?.(topic, behind, fences.get(first) ?? 0)
    return fences
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
