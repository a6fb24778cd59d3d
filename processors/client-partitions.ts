// The event-time state of every client-event partition this process owns: created on first use or
// rebuilt from the sink when a partition is assigned, forgotten when it is revoked, and asked on stop
// or revocation for the windows and sessions still open (written as they stand, at the last position
// read), or after a crash for the snapshot block that was on its way (derived again under its label).
import type { Logger } from 'pino'
import type { Checkpoint } from '../pipeline/checkpoint.ts'
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

export class ClientPartitions {
  private readonly states = new Map<string, ClientPartition>()
  /** Last position handed over per partition, where shutdown rows are attached. */
  private readonly lastPositions = new Map<string, string>()
  /** When each partition last handed over records (processing time), for idleness. */
  private readonly lastActive = new Map<string, number>()

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

  /** A partition arrives with its checkpoint: its state is rebuilt from what the sink holds. */
  async assign(stream: string, partition: string, checkpoint: Checkpoint): Promise<void> {
    const restored = decodeState(checkpoint.state)
    const state = this.get(stream, partition, restored)
    // Sessions restored here are written on shutdown even if no new record arrives for the partition.
    const key = partitionKey(stream, partition)
    if (checkpoint.position !== undefined && !this.lastPositions.has(key)) this.lastPositions.set(key, checkpoint.position)
    this.lastActive.set(key, Date.now())
    const applied = await restoreClientPartition(this.store, checkpoint, state, stateHorizonMs(this.settings))
    this.logger.info({ stream, partition, position: checkpoint.position, events: applied, openSessions: state.sessions.size, openWindows: state.windows.size }, 'partition state restored')
  }

  /**
   * Forgets a partition given up: if it comes back (a Kafka rebalance hands most partitions straight
   * back), assign() must rebuild it from the sink, not add to a stale copy.
   */
  forget(key: string): void {
    this.states.delete(key)
    this.lastPositions.delete(key)
    this.lastActive.delete(key)
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
