// Keeps this worker's shard leases: every round it renews what it holds (learning of losses and of
// steal requests), then scans the table and takes or steals towards an even spread (lease-plan.ts).
// A scan also comes at the moment another worker's lease expires, so a dead worker's shards move as
// soon as they may.
// Every operation on one held lease is serialised, so a renewal and a commit's check never race on
// the counter. The source decides what taking, losing or handing over a lease means for its readers.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { errorMessage } from '../../../runtime/errors.ts'
import { LeaseLostError, type Lease, type LeaseTable } from './lease-table.ts'
import { nextExpiry, observe, planRound, type Observation } from './lease-plan.ts'
import type { LeaseMetrics } from './lease-metrics.ts'

export interface LeaseEvents {
  /** A lease is now ours: start reading its shard (failures are the source's to report). */
  taken(lease: Lease): Promise<void>
  /** Another worker holds it now: stop reading and commit nothing more for it. */
  lost(key: string): void
  /** Another worker asked for it: flush, commit, then release() it. */
  handOver(key: string): void
}

export interface LeaseCoordinatorOptions {
  table: LeaseTable
  workerId: string
  leaseDurationMs: number
  renewIntervalMs: number
  exclusive: boolean
  metrics: LeaseMetrics
  logger: Logger
}

interface Held {
  counter: number
  /** The counter this worker took the lease at: the fencing token of every checkpoint it writes for it. */
  fence: number
  /** The tail of this lease's operations. */
  queue: Promise<unknown>
  /** The worker that asked for it, once it did. */
  handingOverTo: string | undefined
  /** Since when its shard is read (after its checkpoint is claimed and its state restored); written with each renewal. */
  readingSince: number | undefined
}

export class LeaseCoordinator {
  private readonly held = new Map<string, Held>()
  private readonly seen = new Map<string, Observation>()
  /** Leases taken whose shard the source is still starting. */
  private readonly starting = new Set<string>()
  private readonly abort = new AbortController()
  private loop: Promise<void> | undefined
  /** When another worker's lease expires next, as of the last scan. */
  private expiresAt: number | undefined
  private events: LeaseEvents | undefined

  constructor(private readonly options: LeaseCoordinatorOptions) {}

  get workerId(): string {
    return this.options.workerId
  }

  heldKeys(): string[] {
    return [...this.held.keys()]
  }

  /** Runs a first round (so a lone worker starts reading at once), then one every renew interval. */
  async start(events: LeaseEvents): Promise<void> {
    this.events = events
    await this.round()
    this.loop = this.run()
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.loop
  }

  /**
   * The fence before a commit: renews the lease only if it is still ours at the counter we hold, and
   * answers the fencing token the checkpoint must carry.
   */
  async verify(key: string): Promise<number> {
    let fence = 0
    await this.serialised(key, async (held) => {
      const sentAt = Date.now()
      const lease = await this.options.table.renew(key, this.workerId, held.counter)
      held.counter = lease.counter
      // Others count the lease's duration from no earlier than this renewal reaching DynamoDB. A
      // process frozen after the renewal was sent (SIGSTOP, a long pause) may wake with the success
      // in hand while another worker already holds the lease: this far past, it writes nothing.
      if (Date.now() - sentAt > this.options.leaseDurationMs - this.options.renewIntervalMs) throw new LeaseLostError(key)
      fence = held.fence
    })
    return fence
  }

  /** Lifts a held lease's fencing token above a checkpoint's (one written before this lease table existed). */
  async raise(key: string, above: number): Promise<void> {
    await this.serialised(key, async (held) => {
      if (held.fence > above) return
      const lease = await this.options.table.raise(key, this.workerId, held.counter, above)
      held.counter = lease.counter
      held.fence = lease.counter
      this.options.logger.warn({ lease: key, fence: held.fence }, 'lease counter raised above a checkpoint of an earlier lease table')
    })
  }

  /** The source reads the lease's shard now: from the next renewal on, other workers may ask for it. */
  reading(key: string): void {
    const held = this.held.get(key)
    if (held !== undefined) held.readingSince ??= Date.now()
  }

  /** Gives a lease up after its shard's blocks are flushed and committed: to the worker that asked for it, if one did. */
  release(key: string): Promise<void> {
    const to = this.held.get(key)?.handingOverTo
    return this.end(key, (counter) => this.options.table.release(key, this.workerId, counter, to), to === undefined ? 'released' : 'handed_over')
  }

  /** Marks a shard read to its end, its final position committed: its children may be taken. */
  finish(key: string): Promise<void> {
    return this.end(key, (counter) => this.options.table.finish(key, this.workerId, counter), 'finished')
  }

  private async end(key: string, operation: (counter: number) => Promise<void>, event: 'released' | 'handed_over' | 'finished'): Promise<void> {
    await this.serialised(key, (held) => operation(held.counter))
    this.held.delete(key)
    this.options.metrics.events.inc({ event })
    this.options.metrics.held.set(this.held.size)
  }

  private async run(): Promise<void> {
    let renewAt = Date.now() + this.options.renewIntervalMs
    while (!this.stopped()) {
      // Renewals come every renew interval; a scan alone also comes the moment another worker's lease
      // expires, so a dead worker's shards are taken then rather than up to a round later.
      const wakeAt = Math.min(renewAt, this.expiresAt ?? Infinity)
      await sleep(Math.max(0, wakeAt - Date.now()), undefined, { signal: this.abort.signal }).catch(() => undefined)
      if (this.stopped()) return
      const renewing = Date.now() >= renewAt
      // Set again by a scan that succeeds: a failing one must not bring the next at once.
      this.expiresAt = undefined
      await (renewing ? this.round() : this.takeAndSteal()).catch((error: unknown) => this.options.logger.warn({ err: errorMessage(error) }, 'lease round failed; will retry'))
      if (renewing) renewAt = Date.now() + this.options.renewIntervalMs
    }
  }

  private async round(): Promise<void> {
    await Promise.all([...this.held.keys()].map((key) => this.renew(key)))
    await this.takeAndSteal()
  }

  private async renew(key: string): Promise<void> {
    try {
      await this.serialised(key, async (held) => {
        const lease = await this.options.table.renew(key, this.workerId, held.counter, held.readingSince)
        held.counter = lease.counter
        if (lease.stealer !== undefined && held.handingOverTo === undefined) {
          held.handingOverTo = lease.stealer
          this.options.logger.info({ lease: key, to: lease.stealer }, 'handing a lease over: flushing and committing first')
          this.events?.handOver(key)
        }
      })
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error
      if (!this.held.delete(key)) return
      this.options.metrics.events.inc({ event: 'lost' })
      this.options.metrics.held.set(this.held.size)
      this.options.logger.warn({ lease: key }, 'lease lost to another worker')
      this.events?.lost(key)
    }
  }

  private async takeAndSteal(): Promise<void> {
    const { table, workerId, metrics } = this.options
    const leases = await table.list()
    const now = Date.now()
    observe(this.seen, leases, now, this.options.renewIntervalMs)
    this.expiresAt = nextExpiry(leases, this.seen, workerId, now, this.options.leaseDurationMs)
    const plan = planRound({
      leases,
      me: workerId,
      held: new Set(this.held.keys()),
      seen: this.seen,
      nowMs: now,
      leaseDurationMs: this.options.leaseDurationMs,
      exclusive: this.options.exclusive,
      // A shard moved for balance is read for a lease duration at least before it may move again.
      minReadingMs: this.options.leaseDurationMs,
      busy: this.starting.size > 0,
    })
    metrics.waitingOnParents.set(plan.waitingOnParents)
    await Promise.all(plan.take.map((lease) => this.take(lease)))
    if (plan.steal !== undefined && (await table.requestSteal(plan.steal, workerId))) {
      metrics.events.inc({ event: 'steal_requested' })
      this.options.logger.info({ lease: plan.steal.key, from: plan.steal.owner }, 'asked for a lease towards an even spread')
    }
  }

  private async take(lease: Lease): Promise<void> {
    try {
      const taken = await this.options.table.take(lease, this.workerId)
      this.held.set(lease.key, { counter: taken.counter, fence: taken.counter, queue: Promise.resolve(), handingOverTo: undefined, readingSince: undefined })
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error
      // Another worker was quicker: scan again at once, for another of the leases still to take.
      this.expiresAt = Date.now()
      return
    }
    // A lease handed over arrives already in this worker's name: that is the end of a steal.
    const event = lease.owner === '' ? 'taken' : lease.owner === this.workerId ? 'stolen' : 'taken_expired'
    this.options.metrics.events.inc({ event })
    this.options.metrics.held.set(this.held.size)
    this.options.logger.info({ lease: lease.key, from: lease.owner === '' ? undefined : lease.owner, event }, 'lease taken')
    // Not awaited: restoring a shard's state from ClickHouse must not hold up renewing the others.
    this.starting.add(lease.key)
    const started = this.events?.taken(lease) ?? Promise.resolve()
    void started.catch(() => undefined).finally(() => this.starting.delete(lease.key))
  }

  /** Read through a call, so the compiler does not narrow it from the loop condition. */
  private stopped(): boolean {
    return this.abort.signal.aborted
  }

  private serialised(key: string, operation: (held: Held) => Promise<void>): Promise<void> {
    const held = this.held.get(key)
    if (held === undefined) return Promise.reject(new LeaseLostError(key))
    const next = held.queue.then(() => operation(held))
    held.queue = next.catch(() => undefined)
    return next
  }
}
