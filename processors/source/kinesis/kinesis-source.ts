// Reads the shards this worker leases (lease-coordinator.ts): many `pulse process` share a stream by
// sharing a lease table. A shard is leased only once its parents are finished (read to their end and
// their final positions committed, by whichever worker), so records of one key keep their order across
// a resharding. Positions come from the checkpoint store, claimed under the new lease's fence when a
// shard is taken; the flusher commits them after ClickHouse acknowledges, through the lease fence
// (fenced-store.ts). A lease asked for by another worker is handed
// over as the Kafka source gives a partition up: flush, commit, then release.
// A shard is read by polling (shard-reader.ts) or, with a stream consumer, by enhanced fan-out
// (fanout-shard.ts); both fill the same seam, so everything above is the same for either.
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { BatchHandler, Lineage, PartitionLifecycle, Source } from '../../../pipeline/source.ts'
import type { Checkpoint, CheckpointStore } from '../../../pipeline/checkpoint.ts'
import { FencedCheckpoints } from './fenced-store.ts'
import type { SourceMetrics } from '../metrics.ts'
import { readShard } from './shard-reader.ts'
import { streamCovered } from './covers.ts'
import { errorMessage } from '../../../runtime/errors.ts'
import { DEFAULT_RETRY, retry } from '../../../runtime/retry.ts'
import { LeaseLostError, leaseKey, type Lease, type LeaseTable } from './lease-table.ts'
import type { LeaseCoordinator } from './lease-coordinator.ts'
import { syncShards } from './shard-sync.ts'
import { startFanOut, type FanOutSettings, type ShardRead } from './fanout-shard.ts'

export interface KinesisSourceOptions {
  client: KinesisClient
  streams: readonly string[]
  /** Where checkpoints are kept; the source reads and writes them through the lease fence. */
  checkpoints: CheckpointStore
  table: LeaseTable
  leases: LeaseCoordinator
  pollIntervalMs: number
  /** How often the shard list is read again to find children of split or merged shards. */
  discoveryIntervalMs?: number
  maxRecordsPerCall?: number
  /** Read with SubscribeToShard as this consumer instead of polling GetRecords. */
  fanOut?: FanOutSettings | undefined
  metrics: SourceMetrics
  logger: Logger
}

interface Reader {
  lease: Lease
  abort: AbortController
  done: Promise<void>
}

export class KinesisSource implements Source {
  readonly name = 'kinesis'
  private readonly abort = new AbortController()
  private readonly readers = new Map<string, Reader>()
  /** Shards read to their end, with the position whose commit finishes them. */
  private readonly endedAt = new Map<string, { position: string; lease: Lease }>()
  /** The last position committed per shard: the final block may be committed before the reader sees the shard's end. */
  private readonly committedAt = new Map<string, string>()
  private readonly known = new Set<string>()
  /** Shards discovery saw closed: the fan-out reader confirms their end by polling. */
  private readonly closed = new Set<string>()
  private read: ShardRead = readShard
  /** Shards taken whose reader is not started yet (checkpoint being claimed, state restored). */
  private readonly starting = new Set<string>()
  /** Of those, the ones another worker asked for meanwhile: handed over as soon as their reader runs. */
  private readonly handOverAsked = new Set<string>()
  /** Shards being started (checkpoint claimed, state restored): stop() waits for them. */
  private readonly opening = new Set<Promise<void>>()
  private connected = false
  private failed = false
  private discovery: Promise<void> | undefined
  private handler: BatchHandler = () => Promise.resolve('taken')
  private lifecycle: PartitionLifecycle = {}
  private readonly checkpoints: FencedCheckpoints

  constructor(private readonly options: KinesisSourceOptions) {
    this.checkpoints = new FencedCheckpoints(options.checkpoints, options.leases)
  }

  get isConnected(): boolean {
    return this.connected
  }

  async start(handler: BatchHandler, lifecycle: PartitionLifecycle = {}): Promise<void> {
    this.handler = handler
    this.lifecycle = lifecycle
    await this.options.table.ensure()
    await this.sync()
    const { fanOut } = this.options
    if (fanOut !== undefined) {
      const target = { client: this.options.client, streams: this.options.streams, signal: this.abort.signal, logger: this.options.logger }
      this.read = await startFanOut(fanOut, { ...target, isClosed: (stream, shard) => this.closed.has(leaseKey(stream, shard)) })
    }
    await this.options.leases.start({
      taken: (lease) => this.startReader(lease),
      lost: (key) => this.lose(key),
      handOver: (key) => void this.handOver(key),
    })
    this.discovery = this.rediscoverLoop()
  }

  /** The checkpoint store the flusher must write through: nothing is written for a shard whose lease is gone. */
  fenced(): CheckpointStore {
    return this.checkpoints
  }

  covers(stream: string, committed: ReadonlyMap<string, string>, appendedBeforeMs: number): Promise<boolean> {
    return streamCovered(this.options.client, stream, committed, appendedBeforeMs)
  }

  commit(stream: string, partition: string, position: string): Promise<void> {
    const key = leaseKey(stream, partition)
    this.committedAt.set(key, position)
    const ended = this.endedAt.get(key)
    if (ended?.position !== position) return Promise.resolve()
    this.endedAt.delete(key)
    // Not awaited: this runs inside the flusher's round, and finishing flushes once more.
    void this.finishShard(ended.lease)
    return Promise.resolve()
  }

  /** Stops reading; unless the pipeline failed, flushes and commits every shard, then releases its lease. */
  async stop(): Promise<void> {
    this.abort.abort()
    await this.discovery
    await this.options.leases.stop()
    // A shard whose state is still being restored is given up like the others once the restore is
    // done, with its open windows and sessions written, instead of being left to its lease's expiry.
    await Promise.allSettled([...this.opening])
    const readers = [...this.readers.values()]
    await Promise.all(readers.map((reader) => this.stopReader(reader)))
    this.options.fanOut?.client.destroy()
    if (this.failed) return
    for (const reader of readers) await this.giveUp(reader.lease)
  }

  private async rediscoverLoop(): Promise<void> {
    const interval = this.options.discoveryIntervalMs ?? 10_000
    while (!this.stopping()) {
      await sleep(interval, undefined, { signal: this.abort.signal }).catch(() => undefined)
      if (this.stopping()) return
      await this.sync().catch((error: unknown) => {
        this.connected = false
        this.options.logger.warn({ err: errorMessage(error) }, 'listing shards failed; will retry')
      })
    }
  }

  private async sync(): Promise<void> {
    const added = await syncShards(this.options.client, this.options.table, this.options.streams, this.known, this.abort.signal, this.closed)
    this.connected = true
    if (added > 0) this.options.logger.info({ added }, 'new shards in the lease table')
  }

  private async startReader(lease: Lease): Promise<void> {
    this.starting.add(lease.key)
    const opening = this.openReader(lease)
    this.opening.add(opening)
    try {
      await opening
    } finally {
      this.starting.delete(lease.key)
      this.opening.delete(opening)
    }
    if (this.handOverAsked.delete(lease.key)) await this.handOver(lease.key)
  }

  private async openReader(lease: Lease): Promise<void> {
    let checkpoint: Checkpoint | undefined
    try {
      // A shard taken mid-run must not stop the process over a busy ClickHouse: the checkpoint and the
      // shard's state are read again a few times before giving up (a lost lease is not retried).
      checkpoint = await retry(async () => {
        const stored = await this.checkpoints.claim(this.name, lease.stream, lease.shard)
        const lineage = lease.parents.length === 0 ? undefined : await this.lineageOf(lease.stream)
        await this.lifecycle.onAssigned?.(lease.stream, lease.shard, stored, lineage)
        return stored
      }, { ...DEFAULT_RETRY, retriable: (error) => !this.stopping() && !(error instanceof LeaseLostError) })
    } catch (error) {
      // Stopping cut the start short: nothing was read or written for the shard, and its lease expires.
      if (this.stopping()) {
        this.options.logger.info({ lease: lease.key, err: errorMessage(error) }, 'stopped while starting a shard')
        return
      }
      this.options.logger.error({ lease: lease.key, err: errorMessage(error) }, 'starting a shard failed')
      this.fail(error)
      return
    }
    const abort = new AbortController()
    const done = this.runReader(lease, checkpoint?.position, abort.signal).catch((error: unknown) => {
      this.options.logger.error({ lease: lease.key, err: errorMessage(error) }, 'shard reader stopped by a pipeline failure')
      this.fail(error)
    })
    this.readers.set(lease.key, { lease, abort, done })
    this.options.leases.reading(lease.key)
    this.publishShards()
  }

  private async runReader(lease: Lease, after: string | undefined, signal: AbortSignal): Promise<void> {
    let lastSeen = after
    const outcome = await this.read({
      client: this.options.client,
      stream: lease.stream,
      shardId: lease.shard,
      after,
      pollIntervalMs: this.options.pollIntervalMs,
      maxRecordsPerCall: this.options.maxRecordsPerCall ?? 10_000,
      handler: async (batch) => {
        const outcome = await this.handler(batch)
        if (outcome === 'taken') lastSeen = batch.records[batch.records.length - 1]?.position ?? lastSeen
        return outcome
      },
      metrics: this.options.metrics,
      logger: this.options.logger,
      signal: AbortSignal.any([signal, this.abort.signal]),
      onHealth: (ok) => (this.connected = ok),
    })
    if (outcome !== 'ended') return
    this.options.logger.info({ lease: lease.key }, 'shard closed and fully read')
    this.readers.delete(lease.key)
    this.publishShards()
    // Nothing read since the checkpoint, or the last block already committed: the final position is in.
    if (lastSeen === undefined || lastSeen === after || this.committedAt.get(lease.key) === lastSeen) await this.finishShard(lease)
    else this.endedAt.set(lease.key, { position: lastSeen, lease })
  }

  /** The stream's shards' parents (from the lease table) and their checkpoints, for a child shard's state. */
  private async lineageOf(stream: string): Promise<Lineage> {
    const [leases, checkpoints] = await Promise.all([this.options.table.list(), this.options.checkpoints.load(this.name, stream)])
    const parents = new Map(leases.filter((lease) => lease.stream === stream).map((lease) => [lease.shard, lease.parents]))
    return { parentsOf: (shard) => parents.get(shard) ?? [], checkpointOf: (shard) => checkpoints.get(shard) }
  }

  /**
   * A closed shard whose last record is committed: what the pipeline still holds for it (open sessions)
   * is flushed under the lease, and only then is the lease marked finished, so nothing is ever written
   * for the shard without a lease and its children may start.
   */
  private async finishShard(lease: Lease): Promise<void> {
    try {
      await this.lifecycle.onRevoked?.(lease.stream, lease.shard)
      await this.options.leases.finish(lease.key)
      this.options.logger.info({ lease: lease.key }, 'shard finished: its children may be read')
    } catch (error) {
      this.options.logger.error({ lease: lease.key, err: errorMessage(error) }, 'finishing a shard failed; its lease expires and another worker finishes it')
    }
  }

  /** Another worker took the lease while this one was away: commit nothing more; the process stops and its blocks are replayed there. */
  private lose(key: string): void {
    const reader = this.readers.get(key)
    reader?.abort.abort()
    this.readers.delete(key)
    this.fail(new LeaseLostError(key))
  }

  private async handOver(key: string): Promise<void> {
    const reader = this.readers.get(key)
    // Asked for while still starting: the coordinator asks once, so the request must not be lost.
    if (reader === undefined && this.starting.has(key)) this.handOverAsked.add(key)
    if (reader === undefined || this.abort.signal.aborted) return
    await this.stopReader(reader)
    await this.giveUp(reader.lease)
  }

  private async stopReader(reader: Reader): Promise<void> {
    reader.abort.abort()
    await reader.done
    this.readers.delete(reader.lease.key)
    this.publishShards()
  }

  /** Flush and commit what the pipeline holds for the shard, then release; a failed flush keeps the lease until it expires. */
  private async giveUp(lease: Lease): Promise<void> {
    try {
      await this.lifecycle.onRevoked?.(lease.stream, lease.shard)
      await this.options.leases.release(lease.key)
    } catch (error) {
      this.options.logger.error({ lease: lease.key, err: errorMessage(error) }, 'giving a lease up failed; its next owner replays from the last commit once it expires')
    }
  }

  /** Read through a call, so the compiler does not narrow it from the loop condition. */
  private stopping(): boolean {
    return this.abort.signal.aborted
  }

  private fail(error: unknown): void {
    if (this.failed) return
    this.failed = true
    this.lifecycle.onFailed?.(error)
  }

  private publishShards(): void {
    for (const stream of this.options.streams) {
      this.options.metrics.shards.set({ stream }, [...this.readers.values()].filter((reader) => reader.lease.stream === stream).length)
    }
  }
}
