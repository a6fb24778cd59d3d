// Reads every shard of the configured streams. A shard is read only once its parents are fully read
// and committed (as the KCL does), so records of one key keep their order across a resharding.
// Positions come from the checkpoint store; the flusher commits them after ClickHouse acknowledges.
import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { BatchHandler, PartitionLifecycle, Source } from '../../../pipeline/source.ts'
import type { SourceMetrics } from '../metrics.ts'
import type { Checkpoint } from '../../../pipeline/checkpoint.ts'
import { readShard } from './shard-reader.ts'
import { errorMessage } from '../../../runtime/errors.ts'

export interface KinesisSourceOptions {
  client: KinesisClient
  streams: readonly string[]
  loadCheckpoints(stream: string): Promise<Map<string, Checkpoint>>
  pollIntervalMs: number
  /** How often the shard list is read again to find children of split or merged shards. */
  discoveryIntervalMs?: number
  maxRecordsPerCall?: number
  metrics: SourceMetrics
  logger: Logger
}

export class KinesisSource implements Source {
  readonly name = 'kinesis'
  private readonly abort = new AbortController()
  private readonly readers = new Map<string, Promise<void>>()
  /** Shards read to their end whose final position is committed; a restart re-learns them by reading
   *  a closed shard from its checkpoint, which yields nothing and ends at once. */
  private readonly finished = new Set<string>()
  private readonly endedAt = new Map<string, string>()
  private connected = false
  private discovery: Promise<void> | undefined

  constructor(private readonly options: KinesisSourceOptions) {}

  private get stopping(): boolean {
    return this.abort.signal.aborted
  }

  get isConnected(): boolean {
    return this.connected
  }

  async start(handler: BatchHandler, lifecycle: PartitionLifecycle = {}): Promise<void> {
    await this.discover(handler, lifecycle)
    this.discovery = this.rediscoverLoop(handler, lifecycle)
  }

  commit(stream: string, partition: string, position: string): Promise<void> {
    const key = `${stream}/${partition}`
    if (this.endedAt.get(key) === position) this.finished.add(key)
    return Promise.resolve()
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.discovery
    await Promise.all(this.readers.values())
  }

  private async rediscoverLoop(handler: BatchHandler, lifecycle: PartitionLifecycle): Promise<void> {
    const interval = this.options.discoveryIntervalMs ?? 10_000
    while (!this.abort.signal.aborted) {
      await sleep(interval, undefined, { signal: this.abort.signal }).catch(() => undefined)
      if (this.stopping) return
      await this.discover(handler, lifecycle).catch((error: unknown) => {
        this.connected = false
        this.options.logger.warn({ err: errorMessage(error) }, 'listing shards failed; will retry')
      })
    }
  }

  private async discover(handler: BatchHandler, lifecycle: PartitionLifecycle): Promise<void> {
    for (const stream of this.options.streams) {
      const shards = await this.listShards(stream)
      this.connected = true
      const checkpoints = await this.options.loadCheckpoints(stream)
      const present = new Set(shards.map((shard) => shard.ShardId))
      for (const shard of shards) {
        const shardId = shard.ShardId ?? ''
        const key = `${stream}/${shardId}`
        const checkpoint = checkpoints.get(shardId)
        if (this.readers.has(key) || this.finished.has(key)) continue
        if (!this.parentsDone(stream, shard, present)) continue
        await lifecycle.onAssigned?.(stream, shardId, checkpoint)
        const reader = this.runReader(stream, shardId, checkpoint?.position, handler).catch((error: unknown) => {
          this.options.logger.error({ stream, shard: shardId, err: errorMessage(error) }, 'shard reader stopped by a pipeline failure')
          // A shard no longer read must not leave the process up and ready with nothing moving.
          lifecycle.onFailed?.(error)
        })
        this.readers.set(key, reader)
      }
      this.options.metrics.shards.set({ stream }, [...this.readers.keys()].filter((key) => key.startsWith(`${stream}/`)).length)
    }
  }

  private parentsDone(stream: string, shard: Shard, present: Set<string | undefined>): boolean {
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((id) => id !== undefined)
    // A parent no longer listed has expired past retention: nothing of it is left to read.
    return parents.every((parent) => !present.has(parent) || this.finished.has(`${stream}/${parent}`))
  }

  private async runReader(stream: string, shardId: string, after: string | undefined, handler: BatchHandler): Promise<void> {
    const key = `${stream}/${shardId}`
    let lastSeen = after
    const outcome = await readShard({
      client: this.options.client,
      stream,
      shardId,
      after,
      pollIntervalMs: this.options.pollIntervalMs,
      maxRecordsPerCall: this.options.maxRecordsPerCall ?? 10_000,
      handler: async (batch) => {
        lastSeen = batch.records[batch.records.length - 1]?.position ?? lastSeen
        await handler(batch)
      },
      metrics: this.options.metrics,
      logger: this.options.logger,
      signal: this.abort.signal,
      onHealth: (ok) => (this.connected = ok),
    })
    if (outcome === 'ended') {
      this.options.logger.info({ stream, shard: shardId }, 'shard closed and fully read')
      if (lastSeen === undefined || lastSeen === after) this.finished.add(key)
      else this.endedAt.set(key, lastSeen)
    }
  }

  private async listShards(stream: string): Promise<Shard[]> {
    const shards: Shard[] = []
    let nextToken: string | undefined
    do {
      const response = await this.options.client.send(
        new ListShardsCommand(nextToken === undefined ? { StreamName: stream } : { NextToken: nextToken }),
        { abortSignal: this.abort.signal },
      )
      shards.push(...(response.Shards ?? []))
      nextToken = response.NextToken
    } while (nextToken !== undefined)
    return shards
  }
}
