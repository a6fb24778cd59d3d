// Reads the configured topics as a member of a Kafka consumer group. Each partition's batches go to
// the pipeline in order, and a partition whose batch the pipeline has not taken yet is paused (the
// backpressure) while the others go on. Offsets are committed only when the flusher says ClickHouse
// has every row derived from them, and before the group can move a partition to another member,
// everything held for it is flushed and committed (see rejoin-hook.ts for how, given that kafkajs
// has no revocation callback).
import { PartitionAssigners, type Admin, type Consumer, type EachBatchPayload, type Kafka } from 'kafkajs'
import type { Logger } from 'pino'
import type { Checkpoint, CheckpointStore } from '../../../pipeline/checkpoint.ts'
import { errorMessage } from '../../../runtime/errors.ts'
import type { SourceMetrics } from '../metrics.ts'
import type { BatchHandler, PartitionLifecycle, Source } from '../../../pipeline/source.ts'
import { ensureTopics } from './client.ts'
import { connectFailure } from './connect-failure.ts'
import { whileHeartbeating } from './heartbeats.ts'
import { topicCovered } from './covers.ts'
import { publishLag, readLag, type OwnedPartition } from './lag.ts'
import { withRejoinHooks, type JoinedGeneration, type TopicPartitions } from './rejoin-hook.ts'
import { stickyAssigner } from './sticky-assigner.ts'
import { startPosition } from './start-position.ts'
import { COMMIT_RETRY, commitCause, lostMembership } from './commit-policy.ts'
import { membershipOf } from './membership.ts'
import { behindAfter, settledWithin, toSourceRecord } from './records.ts'
import { PartitionFence, type FenceableCheckpointStore, type Membership, type PartitionFencedError } from './partition-fence.ts'
import { retry, worthLogging } from '../../../runtime/retry.ts'

export interface KafkaSourceOptions {
  kafka: Kafka
  brokers: readonly string[]
  topics: readonly string[]
  groupId: string
  /** Partitions of a topic the source creates because it does not exist yet. */
  partitions: number
  /** Where checkpoints live; the source claims each assigned partition there and fences every write (fenced()). */
  checkpoints: FenceableCheckpointStore
  metrics: SourceMetrics
  logger: Logger
  /** A member silent this long leaves the group and its partitions move (how soon a killed processor is replaced). */
  sessionTimeoutMs: number
  lagIntervalMs?: number
  /** How long a fetch waits on the broker for new records (bounds how fast stop() returns). */
  maxWaitTimeMs?: number
  /** Input bytes the pipeline may hold; one fetch brings at most a quarter of it (fetch-size.ts). */
  maxBufferedBytes?: number
}

import { fetchSizes } from './fetch-size.ts'
import { isBrokerOutage } from './broker-outage.ts'

const PREPARE_RETRY_MS = 2000
/** A batch the pipeline has not taken within this long is waited for with its partition paused. */
const QUICK_MS = 20
/** Waits between attempts to start a consumer the brokers crashed: 1 s more each time, at most 10 s. */
const RESTART_MS = 1000
const RESTART_MAX_MS = 10_000

export class KafkaSource implements Source {
  readonly name = 'kafka'
  private readonly consumer: Consumer
  private readonly admin: Admin
  private readonly heartbeatIntervalMs: number
  private readonly owned = new Map<string, OwnedPartition>()
  /** What this member held before its last rejoin: the sticky assignor keeps them here if it can. */
  private lastHeld: TopicPartitions[] = []
  private handler: BatchHandler = () => Promise.resolve('taken')
  private lifecycle: PartitionLifecycle = {}
  private consumerUp = false
  private brokerReachable = true
  private failed = false
  private stopping = false
  /** Bumped on every join and revocation, so a stale retry of an older assignment does nothing. */
  private generation = 0
  private revoking: Promise<void> | undefined
  /** Batches handed to the pipeline and not yet taken, by partition (each such partition is paused). */
  private readonly inFlight = new Map<string, Promise<void>>()
  /** Per partition, withdraws the batch in flight when the partitions are given up. */
  private readonly withdrawals = new Map<string, AbortController>()
  private lagSeries = new Set<string>()
  private lagTimer: NodeJS.Timeout | undefined
  private prepareTimer: NodeJS.Timeout | undefined
  /** The assignment being prepared (checkpoints adopted, state restored), waited for before partitions are given up. */
  private preparing: Promise<void> | undefined
  private readonly fence: PartitionFence

  constructor(private readonly options: KafkaSourceOptions) {
    this.fence = new PartitionFence({
      store: options.checkpoints,
      source: this.name,
      recheckAfterMs: options.sessionTimeoutMs / 2,
      onFenced: (error) => this.fencedOut(error),
      onNewEpoch: (topic, partitions, fence) => options.logger.warn({ topic, partitions, fence }, 'the group generation is below the fences of stored checkpoints (the group was made anew): claiming under a new epoch'),
    })
    // kafkajs suggests a third of the session; a member learns of a rebalance only from its next
    // heartbeat, and the whole group waits for the last one to learn, so beat more often than that.
    this.heartbeatIntervalMs = Math.max(500, Math.floor(options.sessionTimeoutMs / 10))
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
      ...fetchSizes(options.maxBufferedBytes),
      allowAutoTopicCreation: false,
      // Sticky first; round-robin stays on offer so a group still holding members of an older Pulse
      // agrees on it during a rolling upgrade.
      partitionAssigners: [
        withRejoinHooks(stickyAssigner(() => this.lastHeld), { beforeJoin: (keepAlive) => this.revokeAll(keepAlive), afterJoin: (assignment, joined) => this.assign(assignment, joined) }),
        PartitionAssigners.roundRobin,
      ],
    })
    this.admin = options.kafka.admin()
    const { events } = this.consumer
    this.consumer.on(events.CONNECT, () => (this.consumerUp = true))
    this.consumer.on(events.DISCONNECT, () => (this.consumerUp = false))
    this.consumer.on(events.CRASH, (event) => {
      this.consumerUp = false
      options.logger.error({ err: errorMessage(event.payload.error), restart: event.payload.restart }, 'Kafka consumer crashed')
      // kafkajs restarts the consumer itself after a retriable crash; otherwise it has stopped for good,
      // and Pulse starts it again when the brokers were away (broker-outage.ts), or fails.
      if (event.payload.restart || this.stopping) return
      if (isBrokerOutage(event.payload.error)) void this.restartConsumer()
      else this.fail(event.payload.error)
    })
  }

  get isConnected(): boolean {
    return this.consumerUp && this.brokerReachable
  }

  async start(handler: BatchHandler, lifecycle: PartitionLifecycle = {}): Promise<void> {
    this.handler = handler
    this.lifecycle = lifecycle
    try {
      await this.admin.connect()
    } catch (error) {
      throw connectFailure(this.options.brokers, error)
    }
    await ensureTopics(this.admin, this.options.topics, this.options.partitions, this.options.logger)
    await this.consumer.connect()
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: true })
    await this.runConsumer()
    this.lagTimer = setInterval(() => void this.updateLag(), this.options.lagIntervalMs ?? 2000)
  }

  private runConsumer(): Promise<void> {
    // autoCommit off: the flusher commits. eachBatchAutoResolve off: a batch's offsets are resolved
    // (the fetch position moves past them) only once the pipeline has taken them.
    return this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (payload) => this.eachBatch(payload) })
  }

  /** Read through a call, so the compiler does not narrow it from the loop condition. */
  private givenUp(): boolean {
    return this.stopping || this.failed
  }

  /**
   * After a crash the brokers caused: kafkajs has disconnected the consumer (keeping its
   * subscription), so connect and run it again until the brokers answer. Rejoining goes through the
   * rejoin hooks like any rebalance: what is held is flushed first, and the fence keeps a stale
   * generation from committing.
   */
  private async restartConsumer(): Promise<void> {
    for (let attempt = 1; !this.givenUp(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(RESTART_MAX_MS, RESTART_MS * attempt)))
      if (this.givenUp()) return
      try {
        this.options.metrics.retries.inc({ cause: 'kafka_consumer_restart' })
        await this.consumer.connect()
        await this.runConsumer()
        this.options.logger.warn({ attempt }, 'Kafka consumer started again after the brokers were away')
        return
      } catch (error) {
        if (worthLogging(attempt)) this.options.logger.warn({ attempt, err: errorMessage(error) }, 'starting the Kafka consumer again failed; retrying')
      }
    }
  }

  /** The checkpoint store the flusher must write through: every write is checked against the partition's claims. */
  fenced(): CheckpointStore {
    return this.fence
  }

  covers(stream: string, committed: ReadonlyMap<string, string>): Promise<boolean> {
    return topicCovered(this.admin, stream, committed)
  }

  /** Commits the offset after `position` (Kafka stores the next offset to read); see commit-policy.ts. */
  async commit(stream: string, partition: string, position: string): Promise<void> {
    const key = `${stream}/${partition}`
    if (!this.owned.has(key)) {
      this.options.logger.debug({ topic: stream, partition, position }, 'not committing a partition this process no longer owns')
      return
    }
    const offsets = [{ topic: stream, partition: Number(partition), offset: (BigInt(position) + 1n).toString() }]
    try {
      await retry(() => this.consumer.commitOffsets(offsets), {
        ...COMMIT_RETRY,
        retriable: (error) => !lostMembership(error) && this.owned.has(key),
        cause: commitCause,
        onRetry: (error, attempt, _delayMs, cause) => {
          this.options.metrics.retries.inc({ cause })
          if (worthLogging(attempt)) this.options.logger.warn({ topic: stream, partition, position, attempt, err: errorMessage(error) }, 'Kafka offset commit failed; retrying')
        },
      })
    } catch (error) {
      if (!lostMembership(error) && this.owned.has(key)) throw new Error(`Kafka offset commit for ${key} failed: ${errorMessage(error)}`, { cause: error })
      this.options.metrics.retries.inc({ cause: 'kafka_commit_partition_moved' })
      this.options.logger.info({ topic: stream, partition, position, err: errorMessage(error) }, 'partition moved before its offset was committed; ClickHouse holds the position for its next owner')
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    clearInterval(this.lagTimer)
    clearTimeout(this.prepareTimer)
    this.pauseTopics()
    // Flush and commit while still a member (kafkajs keeps heartbeating: its loop runs until disconnect;
    // after leaving, it drops commits silently). After a pipeline failure nothing more is written: the
    // partitions' next owner replays from the last commit.
    if (!this.failed) await this.revokeAll(() => Promise.resolve())
    await this.consumer.disconnect()
    await this.admin.disconnect()
  }

  /**
   * Hands a partition's batch to the pipeline. Usually the pipeline takes it at once; when it waits
   * (flows held back for enrichment, or ClickHouse behind: the backpressure), the partition is paused
   * until it is taken and eachBatch returns, so kafkajs goes on fetching the other partitions and
   * heartbeating. Order within a partition holds: a paused partition gets no further batch.
   */
  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload
    const key = `${batch.topic}/${batch.partition}`
    const last = batch.messages[batch.messages.length - 1]
    if (last === undefined || !this.owned.has(key) || this.failed || this.stopping || this.revoking !== undefined || !payload.isRunning() || payload.isStale()) return
    const records = batch.messages.map(toSourceRecord)
    this.options.metrics.records.inc({ stream: batch.topic }, records.length)
    const withdrawal = new AbortController()
    this.withdrawals.set(key, withdrawal)
    const taken = this.handler({ stream: batch.topic, partition: String(batch.partition), records, behind: behindAfter(batch), withdrawn: withdrawal.signal }).then(
      (outcome) => outcome === 'taken',
      (error: unknown) => {
        this.fail(error)
        return false
      },
    )
    const settled = taken.then(() => {
      if (this.withdrawals.get(key) === withdrawal) this.withdrawals.delete(key)
    })
    this.inFlight.set(key, settled)
    const quick = await settledWithin(taken, QUICK_MS)
    if (quick !== undefined) {
      this.inFlight.delete(key)
      if (quick) payload.resolveOffset(last.offset)
      return
    }
    const resume = payload.pause()
    payload.resolveOffset(last.offset)
    const generation = this.generation
    void settled.then(() => {
      if (this.inFlight.get(key) === settled) this.inFlight.delete(key)
      if (generation === this.generation && !this.failed && !this.stopping) resume()
    })
  }

  /** A write found a partition claimed by a later owner: this member lost its session (paused, or too busy to heartbeat); it stops, writing nothing more. */
  private fencedOut(error: PartitionFencedError): void {
    this.options.logger.error({ err: error.message }, 'fenced out: a partition of this processor was taken over by another member')
    this.owned.clear()
    this.fail(error)
  }

  /** The pipeline failed: stop reading (the processor stops the process); nothing more is committed. */
  private fail(error: unknown): void {
    if (this.failed) return
    this.failed = true
    this.pauseTopics()
    this.options.logger.error({ err: errorMessage(error) }, 'Kafka source stopped reading after a pipeline failure')
    this.lifecycle.onFailed?.(error)
  }

  /** Before a (re)join or on stop: let the pipeline take what it was handed, flush and commit it all, then forget the partitions. */
  private revokeAll(keepAlive: () => Promise<void>): Promise<void> {
    this.revoking ??= this.revokeNow(keepAlive).finally(() => (this.revoking = undefined))
    return this.revoking
  }

  private async revokeNow(keepAlive: () => Promise<void>): Promise<void> {
    this.generation++
    clearTimeout(this.prepareTimer)
    await whileHeartbeating(keepAlive, this.heartbeatIntervalMs, async () => {
      // A preparation under way stops at its next partition (the generation moved on); the one it is
      // restoring becomes owned and is flushed and given up with the rest.
      await this.preparing
      const owned = [...this.owned.values()]
      if (owned.length > 0) this.options.logger.info({ partitions: owned.length }, 'giving up partitions: flushing and committing first')
      // Batches still waiting to be taken are withdrawn, not waited for: see SourceBatch.withdrawn.
      for (const withdrawal of this.withdrawals.values()) withdrawal.abort()
      await Promise.all(this.inFlight.values())
      for (const { topic, partition } of owned) {
        try {
          await this.lifecycle.onRevoked?.(topic, String(partition))
        } catch (error) {
          this.options.logger.error({ topic, partition, err: errorMessage(error) }, 'flushing a revoked partition failed; its next owner replays from the last commit')
        }
        this.fence.release(topic, String(partition))
      }
    }, this.options.logger)
    this.lastHeld = byTopic([...this.owned.values()])
    this.owned.clear()
    this.lagSeries = publishLag(this.options.metrics.kafkaLag, new Map(), this.lagSeries)
    this.countPartitions()
  }

  /**
   * After a join: every assigned partition stays paused until its checkpoint is adopted and its state
   * restored. kafkajs sends no heartbeat until this returns, and a restore reads back every event of
   * the partition within the dedup horizon (seconds per partition at a high rate), so a member that
   * restored several in silence outlived its session, was dropped, and was fenced out when it wrote.
   * It heartbeats meanwhile instead; a heartbeat that learns of a newer rebalance stops the
   * preparation at the next partition (the rest stay paused), so the member rejoins promptly.
   */
  private async assign(assignment: readonly TopicPartitions[], joined: JoinedGeneration): Promise<void> {
    const generation = ++this.generation
    this.consumerUp = true
    if (this.stopping || this.failed) return
    const pending = assignment.flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition })))
    this.options.logger.info({ partitions: pending.map((entry) => `${entry.topic}/${entry.partition}`) }, 'partitions assigned')
    if (assignment.length > 0) this.consumer.pause(assignment.map(({ topic, partitions }) => ({ topic, partitions })))
    await whileHeartbeating(() => joined.heartbeat(), this.heartbeatIntervalMs, (superseded) => this.prepareTracked(generation, membershipOf(joined), pending, superseded), this.options.logger)
  }

  private prepareTracked(generation: number, membership: Membership, pending: readonly OwnedPartition[], superseded: () => boolean = () => false): Promise<void> {
    const preparing = this.prepare(generation, membership, pending, superseded)
    this.preparing = preparing
    return preparing.finally(() => {
      if (this.preparing === preparing) this.preparing = undefined
    })
  }

  private async prepare(generation: number, membership: Membership, pending: readonly OwnedPartition[], superseded: () => boolean): Promise<void> {
    try {
      // Topics side by side: the client events' restores take seconds each, and flows and assignments
      // (no state to restore) would wait behind them. allSettled: the retry below must not start
      // while another topic is still adopting.
      const topics = [...new Set(pending.map((entry) => entry.topic))]
      const settled = await Promise.allSettled(topics.map((topic) => this.prepareTopic(topic, generation, membership, pending, superseded)))
      const failure = settled.find((outcome) => outcome.status === 'rejected')
      if (failure !== undefined) throw failure.reason
    } catch (error) {
      // Paused partitions are not fetched and kafkajs keeps heartbeating, so waiting costs nothing.
      this.options.logger.error({ err: errorMessage(error) }, 'preparing assigned partitions failed; they stay paused and are tried again')
      const left = pending.filter((entry) => !this.owned.has(`${entry.topic}/${entry.partition}`))
      this.prepareTimer = setTimeout(() => void this.prepareTracked(generation, membership, left), PREPARE_RETRY_MS)
    } finally {
      this.countPartitions()
    }
  }

  private async prepareTopic(topic: string, generation: number, membership: Membership, pending: readonly OwnedPartition[], superseded: () => boolean): Promise<void> {
    const partitions = pending.filter((candidate) => candidate.topic === topic)
    const claimed = this.fence.claim(topic, partitions.map((entry) => String(entry.partition)), membership)
    const [checkpoints, committed] = await Promise.all([claimed, this.committedOffsets(topic)])
    for (const entry of partitions) {
      if (generation !== this.generation || this.stopping || superseded()) return
      await this.adopt(entry, checkpoints.get(String(entry.partition)), committed.get(entry.partition))
    }
  }

  private async adopt(entry: OwnedPartition, checkpoint: Checkpoint | undefined, committed: string | undefined): Promise<void> {
    const start = startPosition(committed, checkpoint)
    await this.lifecycle.onAssigned?.(entry.topic, String(entry.partition), checkpoint)
    if (start.from === 'clickhouse') {
      this.options.logger.info({ topic: entry.topic, partition: entry.partition, kafka: committed, offset: start.offset }, 'ClickHouse is ahead of the Kafka commit; resuming after ClickHouse')
      this.consumer.seek({ topic: entry.topic, partition: entry.partition, offset: start.offset })
    }
    this.owned.set(`${entry.topic}/${entry.partition}`, entry)
    this.consumer.resume([{ topic: entry.topic, partitions: [entry.partition] }])
  }

  private async committedOffsets(topic: string): Promise<Map<number, string>> {
    const [result] = await this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] })
    return new Map((result?.partitions ?? []).map((entry) => [entry.partition, entry.offset]))
  }

  private async updateLag(): Promise<void> {
    try {
      const lag = await readLag(this.admin, this.options.groupId, [...this.owned.values()])
      this.lagSeries = publishLag(this.options.metrics.kafkaLag, lag, this.lagSeries)
      this.brokerReachable = true
    } catch (error) {
      this.brokerReachable = false
      this.options.logger.debug({ err: errorMessage(error) }, 'reading consumer lag failed')
    }
  }

  private pauseTopics(): void {
    try {
      this.consumer.pause(this.options.topics.map((topic) => ({ topic })))
    } catch {
      // Not running yet (start failed or never called): there is nothing to pause.
    }
  }

  private countPartitions(): void {
    for (const topic of this.options.topics) {
      this.options.metrics.shards.set({ stream: topic }, [...this.owned.values()].filter((entry) => entry.topic === topic).length)
    }
  }
}

function byTopic(partitions: readonly OwnedPartition[]): TopicPartitions[] {
  const topics = new Map<string, number[]>()
  for (const { topic, partition } of partitions) topics.set(topic, [...(topics.get(topic) ?? []), partition])
  return [...topics].map(([topic, numbers]) => ({ topic, partitions: numbers }))
}
