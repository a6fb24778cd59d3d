// The event-time state of every client-event partition this process owns: created on first use or
// rebuilt from the sink when a partition is assigned, set aside when it is revoked (and taken up
// again if the partition comes back with the checkpoint this process left), and asked on stop
// or revocation for the windows and sessions still open (written as they stand, at the last position
// read), or after a crash for the snapshot block that was on its way (derived again under its label).
import type { Logger } from 'pino'
import type { Checkpoint } from '../pipeline/checkpoint.ts'
import type { Lineage } from '../pipeline/source.ts'
import { partitionKey, type DerivedRow } from '../pipeline/rows.ts'
import type { StateStore } from '../pipeline/state.ts'
import { ClientPartition, stateHorizonMs, type ClientProcessingSettings, type PartitionCheckpointState } from './client-partition.ts'
import { decodeState, restoreClientPartition } from './restore.ts'

/** Rows describing a partition's state at a position (a snapshot block), and the state its checkpoint keeps. */
export interface StateSnapshot {
  position: string
  rows: DerivedRow[]
  state: PartitionCheckpointState
}

/** Labels of snapshot blocks (pipeline/segments.ts): on shutdown or revocation, and by an idle sweep at a time. */
export const SHUTDOWN_SNAPSHOT = 'snapshot'
export const IDLE_SNAPSHOT = 'idle@'

/**
 * How long a revoked partition's state waits to come back. A Kafka rebalance hands most partitions
 * straight back (processors/source/kafka/sticky-assigner.ts) within a session or two; past this the
 * memory goes back.
 */
export const RETAIN_MS = 60_000

/**
 * Generations of resharding a child's state is rebuilt through. Each split or merge within the state
 * horizon is one; beyond a few, the oldest ancestors' events are past the horizon anyway.
 */
const MAX_LINEAGE_DEPTH = 4

function continuedClock(parents: readonly ClientPartition[]): PartitionCheckpointState | undefined {
  if (parents.length === 0) return undefined
  return { highestEventTime: Math.max(...parents.map((parent) => parent.clock.highestEventTime)) }
}

interface Retained {
  state: ClientPartition
  position: string
  at: number
}

export class ClientPartitions {
  private readonly states = new Map<string, ClientPartition>()
  /** Revoked partitions' states, by key, with the position their last checkpoint was written at. */
  private readonly retained = new Map<string, Retained>()
  /** Last position handed over per partition, where shutdown rows are attached. */
  private readonly lastPositions = new Map<string, string>()
  /** When each partition last handed over records (processing time), for idleness. */
  private readonly lastActive = new Map<string, number>()
  /** Partitions whose state is being rebuilt: a snapshot of half a restore would write its windows short and mark them written. */
  private readonly restoring = new Set<string>()

  constructor(
    private readonly settings: ClientProcessingSettings,
    private readonly store: StateStore,
    private readonly logger: Logger,
  ) {}

  /** The partition's state, created empty (or at a restored checkpoint's watermark) when new. */
  get(stream: string, partition: string, restored?: PartitionCheckpointState): ClientPartition {
    const key = partitionKey(stream, partition)
    let state = this.states.get(key)
    if (state === undefined) {
      state = new ClientPartition(this.settings, restored)
      this.states.set(key, state)
    }
    return state
  }

  /** Records that the partition's records up to `position` have been processed. */
  processedUpTo(key: string, position: string, nowMs = Date.now()): void {
    this.lastPositions.set(key, position)
    this.lastActive.set(key, nowMs)
  }

  /**
   * The rows partitions quiet for the idle timeout now owe: their watermark follows the clock, so
   * the windows it passes close and sessions past their timeout end. Each partition's rows come at
   * its last position read.
   */
  idleSweeps(nowMs: number): (StateSnapshot & { key: string })[] {
    const idleMs = this.settings.idleTimeoutMs ?? 0
    if (idleMs <= 0) return []
    const sweeps: (StateSnapshot & { key: string })[] = []
    for (const [key, state] of this.states) {
      const position = this.lastPositions.get(key)
      if (position === undefined || (this.lastActive.get(key) ?? 0) + idleMs > nowMs) continue
      const rows = state.idle(nowMs)
      if (rows.length > 0) sweeps.push({ key, position, rows, state: state.checkpointState() })
    }
    return sweeps
  }

  /**
   * A partition arrives with its checkpoint: its state is rebuilt from what the sink holds, unless
   * this process gave it up at exactly that checkpoint (nobody has moved it since), when the state it
   * set aside is what a rebuild would make, and is taken up without reading anything. A child shard
   * first carries on its parents' per-key state, each rebuilt as it stood at its end (`lineage`).
   */
  async assign(stream: string, partition: string, checkpoint: Checkpoint | undefined, lineage?: Lineage, nowMs = Date.now()): Promise<void> {
    const key = partitionKey(stream, partition)
    const kept = checkpoint === undefined ? undefined : this.takeRetained(key, checkpoint, nowMs)
    if (kept !== undefined) {
      this.states.set(key, kept.state)
      this.lastPositions.set(key, kept.position)
      this.lastActive.set(key, nowMs)
      this.logger.info({ stream, partition, position: checkpoint?.position, openSessions: kept.state.sessions.size }, 'partition state kept from before the rebalance')
      return
    }
    // Always from scratch: a state left by an earlier attempt that failed half-way must not be folded onto.
    this.forget(key)
    this.restoring.add(key)
    try {
      await this.rebuild(stream, partition, checkpoint, lineage)
    } catch (error) {
      this.forget(key)
      throw error
    } finally {
      this.restoring.delete(key)
    }
  }

  private async rebuild(stream: string, partition: string, checkpoint: Checkpoint | undefined, lineage: Lineage | undefined): Promise<void> {
    const key = partitionKey(stream, partition)
    const parents = lineage === undefined ? [] : await this.rebuildParents(partition, lineage, MAX_LINEAGE_DEPTH)
    const restored = checkpoint === undefined ? undefined : decodeState(checkpoint.state)
    // A child read for the first time goes on from where its parents' event time stood.
    const state = this.get(stream, partition, restored ?? continuedClock(parents))
    for (const parent of parents) state.inherit(parent)
    if (checkpoint === undefined) {
      if (parents.length > 0) this.logger.info({ stream, partition, parents: parents.length, inheritedSessions: state.inheritedSessions }, 'child shard carries on its parents\' state')
      return
    }
    // Sessions restored here are written on shutdown even if no new record arrives for the partition.
    if (checkpoint.position !== undefined) this.lastPositions.set(key, checkpoint.position)
    this.lastActive.set(key, Date.now())
    const applied = await restoreClientPartition(this.store, checkpoint, state, stateHorizonMs(this.settings))
    this.logger.info({ stream, partition, position: checkpoint.position, events: applied, openSessions: state.sessions.size, openWindows: state.windows.size, parents: parents.length }, 'partition state restored')
  }

  /** The state of each parent of `partition` at its end, itself carrying on its own parents' (to `depth` generations). */
  private async rebuildParents(partition: string, lineage: Lineage, depth: number): Promise<ClientPartition[]> {
    if (depth === 0) return []
    const states: ClientPartition[] = []
    for (const parent of lineage.parentsOf(partition)) {
      const checkpoint = lineage.checkpointOf(parent)
      // A parent nothing was ever read from handed no key state on.
      if (checkpoint?.position === undefined) continue
      const state = new ClientPartition(this.settings, decodeState(checkpoint.state))
      for (const grandparent of await this.rebuildParents(parent, lineage, depth - 1)) state.inherit(grandparent)
      const applied = await restoreClientPartition(this.store, checkpoint, state, stateHorizonMs(this.settings))
      this.logger.info({ partition, parent, position: checkpoint.position, events: applied, openSessions: state.sessions.size }, 'parent shard state rebuilt at its end')
      states.push(state)
    }
    return states
  }

  /** Forgets a partition: if it comes back, assign() must rebuild it from the sink, not add to a stale copy. */
  forget(key: string): void {
    this.states.delete(key)
    this.lastPositions.delete(key)
    this.lastActive.delete(key)
    this.retained.delete(key)
  }

  /**
   * A partition given up once its open windows and sessions were written and its checkpoint committed
   * at its last position: its state is set aside for RETAIN_MS in case it comes back unchanged.
   */
  release(key: string, nowMs = Date.now()): void {
    const state = this.states.get(key)
    const position = this.lastPositions.get(key)
    this.forget(key)
    if (state !== undefined && position !== undefined) this.retained.set(key, { state, position, at: nowMs })
  }

  /** Drops the set-aside states older than RETAIN_MS. */
  expireRetained(nowMs: number): void {
    for (const [key, kept] of this.retained) if (nowMs - kept.at > RETAIN_MS) this.retained.delete(key)
  }

  /**
   * The set-aside state, if the checkpoint is the one it was given up at: same position, same
   * watermark and window flush, nothing pending (a block on its way would have to be derived again).
   * Any other checkpoint means another process moved the partition on, and the state is dropped.
   */
  private takeRetained(key: string, checkpoint: Checkpoint, nowMs: number): Retained | undefined {
    const kept = this.retained.get(key)
    this.retained.delete(key)
    if (kept === undefined || nowMs - kept.at > RETAIN_MS) return undefined
    const stored = decodeState(checkpoint.state)
    const mine = kept.state.checkpointState()
    const same =
      checkpoint.pending === undefined &&
      checkpoint.position === kept.position &&
      stored !== undefined &&
      stored.highestEventTime === mine.highestEventTime &&
      stored.windowsFlushedAt === mine.windowsFlushedAt
    return same ? kept : undefined
  }

  keys(): IterableIterator<string> {
    return this.states.keys()
  }

  /**
   * The partition's open sessions and open windows as rows, at the last position read (shutdown,
   * revocation); undefined if it has none to write. The windows are forgotten: their rows are
   * written now, and the checkpoint's state says up to where (windowsFlushedAt).
   */
  shutdownSnapshot(key: string): StateSnapshot | undefined {
    if (this.restoring.has(key)) return undefined
    const state = this.states.get(key)
    const position = this.lastPositions.get(key)
    if (state === undefined || position === undefined) return undefined
    const rows = [...state.flushWindows(position), ...state.openSessionRows()]
    return { position, rows, state: state.checkpointState() }
  }

  /**
   * The rows of a snapshot taken at the partition's restored position, from its label: a shutdown's
   * ('snapshot': open windows and sessions) or an idle sweep's ('idle@<ms>', swept at that clock).
   */
  snapshotAgain(key: string, label: string): StateSnapshot | undefined {
    if (label === SHUTDOWN_SNAPSHOT) return this.shutdownSnapshot(key)
    const state = this.states.get(key)
    const position = this.lastPositions.get(key)
    const at = label.startsWith(IDLE_SNAPSHOT) ? Number(label.slice(IDLE_SNAPSHOT.length)) : Number.NaN
    if (state === undefined || position === undefined || !Number.isFinite(at)) return undefined
    return { position, rows: state.idle(at), state: state.checkpointState() }
  }

  /** Every owned partition's watermark that is already defined. */
  watermarks(): number[] {
    return [...this.states.values()].map((state) => state.clock.watermark).filter(Number.isFinite)
  }
}
