// The event-time state of every client-event partition this process owns: created on first use or
// rebuilt from the sink when a partition is assigned, forgotten when it is revoked, and asked on stop
// or revocation for the sessions still open (written as they stand, at the last position read).
import type { Logger } from 'pino'
import type { Checkpoint } from '../pipeline/checkpoint.ts'
import { partitionKey, type DerivedRow } from '../pipeline/rows.ts'
import type { StateStore } from '../pipeline/state.ts'
import { ClientPartition, stateHorizonMs, type ClientProcessingSettings } from './client-partition.ts'
import { decodeState, restoreClientPartition } from './restore.ts'

export interface OpenSessions {
  position: string
  rows: DerivedRow[]
  state: { highestEventTime: number }
}

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

  /** The partition's state, created empty (or at a restored watermark) when new. */
  get(stream: string, partition: string, highestEventTime?: number): ClientPartition {
    const key = partitionKey(stream, partition)
    let state = this.states.get(key)
    if (state === undefined) {
      state = new ClientPartition(this.settings, highestEventTime)
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
   * sessions past their timeout end. Each partition's rows come at its last position read.
   */
  idleSweeps(nowMs: number): (OpenSessions & { key: string })[] {
    const idleMs = this.settings.idleTimeoutMs ?? 0
    if (idleMs <= 0) return []
    const sweeps: (OpenSessions & { key: string })[] = []
    for (const [key, state] of this.states) {
      const position = this.lastPositions.get(key)
      if (position === undefined || (this.lastActive.get(key) ?? 0) + idleMs > nowMs) continue
      const rows = state.idle(nowMs)
      if (rows.length > 0) sweeps.push({ key, position, rows, state: { highestEventTime: state.clock.highestEventTime } })
    }
    return sweeps
  }

  /** A partition arrives with its checkpoint: its state is rebuilt from what the sink holds. */
  async assign(stream: string, partition: string, checkpoint: Checkpoint): Promise<void> {
    const restored = decodeState(checkpoint.state)
    const state = this.get(stream, partition, restored?.highestEventTime)
    // Sessions restored here are written on shutdown even if no new record arrives for the partition.
    const key = partitionKey(stream, partition)
    if (checkpoint.position !== undefined && !this.lastPositions.has(key)) this.lastPositions.set(key, checkpoint.position)
    this.lastActive.set(key, Date.now())
    const applied = await restoreClientPartition(this.store, checkpoint, state, stateHorizonMs(this.settings))
    this.logger.info({ stream, partition, position: checkpoint.position, events: applied, openSessions: state.sessions.size }, 'partition state restored')
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

  /** The partition's open sessions as rows, at the last position read; undefined if it has none to write. */
  openSessions(key: string): OpenSessions | undefined {
    const state = this.states.get(key)
    const position = this.lastPositions.get(key)
    if (state === undefined || position === undefined) return undefined
    return { position, rows: state.openSessionRows(), state: { highestEventTime: state.clock.highestEventTime } }
  }

  /** Every owned partition's watermark that is already defined. */
  watermarks(): number[] {
    return [...this.states.values()].map((state) => state.clock.watermark).filter(Number.isFinite)
  }
}
