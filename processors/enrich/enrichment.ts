// Everything as-of enrichment needs around the ownership index: the history loaded at start-up, the
// changes other processors write read every few seconds, the hold-back that lets an assignment
// arrive a little after the flows it explains, and the frontier (frontier.ts) that makes a flow wait
// until the assignments appended up to then are read, however old the flow is.
import type { Logger } from 'pino'
import type { Counter } from 'prom-client'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SourceBatch } from '../../pipeline/source.ts'
import type { StateStore } from '../../pipeline/state.ts'
import { errorMessage } from '../../runtime/errors.ts'
import type { AssignmentFrontier } from './frontier.ts'
import { IpOwnershipIndex } from './ip-ownership.ts'
import { loadOwnership } from './load-ownership.ts'

/** How often changes other processors wrote to ip_assignments are read (well inside the hold-back). */
const REFRESH_MS = 2000
/** Rows are read again from this far before the newest seen: clocks of writers differ a little. */
const OVERLAP_MS = 30_000
/** How often the frontier is asked again while flows wait on it. */
const FRONTIER_POLL_MS = 1000
/**
 * Flows wait at most this long for a frontier that answers "behind" (an assignment partition nobody
 * writes): then they are attributed with what is known, counted and warned, rather than stall the
 * stream. A frontier that cannot be asked (ClickHouse away) is waited for without limit: nothing is
 * written meanwhile anyway.
 */
const FRONTIER_MAX_WAIT_MS = 120_000

export interface EnrichmentOptions {
  store: StateStore
  holdBackMs: number
  logger: Logger
  /** Without one (no assignment stream), flows wait the hold-back only. */
  frontier?: Pick<AssignmentFrontier, 'covers'>
  frontierWaits?: Counter<'outcome'>
  /** FRONTIER_POLL_MS and FRONTIER_MAX_WAIT_MS unless told (tests). */
  frontierPollMs?: number
  frontierMaxWaitMs?: number
}

type FrontierAnswer = 'covered' | 'behind' | 'failed'

export class Enrichment {
  readonly ownership = new IpOwnershipIndex()
  private poller: NodeJS.Timeout | undefined
  private since = 0
  /** Reads of ip_assignments, one after another (a frontier's read must start after its check). */
  private reading: Promise<boolean> = Promise.resolve(true)
  private readingNow = false
  /** Every assignment appended before this is in the index. */
  private frontierAt = Number.NEGATIVE_INFINITY
  private probing: Promise<void> | undefined
  private lastProbe: { asOf: number; answer: FrontierAnswer } | undefined
  private readonly stopping = new AbortController()

  constructor(private readonly options: EnrichmentOptions) {}

  async start(): Promise<void> {
    const loaded = await loadOwnership(this.options.store, this.ownership)
    this.options.logger.info({ changes: loaded.applied }, 'IP ownership history loaded')
    this.since = loaded.newestIngestMs
    this.poller = setInterval(() => {
      if (!this.readingNow) void this.refresh()
    }, REFRESH_MS)
  }

  stop(): void {
    this.stopping.abort()
    if (this.poller !== undefined) clearInterval(this.poller)
  }

  /**
   * Flows wait until they are `holdBackMs` old on the stream, and until the assignment stream is
   * read up to that age (the source stops fetching that shard meanwhile). Positions are untouched by
   * the wait, so it costs freshness, not exactly-once. False when the wait was cut short (the batch
   * withdrawn, or enrichment stopping): the flows are not ready and must not be taken.
   */
  async holdBack(batch: SourceBatch): Promise<boolean> {
    const holdMs = this.options.holdBackMs
    if (holdMs === 0) return true
    const signal = batch.withdrawn === undefined ? this.stopping.signal : AbortSignal.any([this.stopping.signal, batch.withdrawn])
    const now = Date.now()
    const newest = Math.max(...batch.records.map((record) => record.streamTimeMs ?? now))
    const wait = newest + holdMs - now
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined)
    if (signal.aborted) return false
    await this.awaitFrontier(newest + holdMs, signal)
    return !signal.aborted
  }

  private async awaitFrontier(needed: number, signal: AbortSignal): Promise<void> {
    if (this.options.frontier === undefined || this.frontierAt >= needed) return
    const started = Date.now()
    while (this.frontierAt < needed && !signal.aborted) {
      await (this.probing ??= this.probe().finally(() => (this.probing = undefined)))
      if (this.frontierAt >= needed) break
      const last = this.lastProbe
      // A check begun before `needed` says nothing about it: ask again at once.
      if (last === undefined || last.asOf < needed) continue
      if (last.answer === 'behind' && Date.now() - started > (this.options.frontierMaxWaitMs ?? FRONTIER_MAX_WAIT_MS)) {
        this.options.frontierWaits?.inc({ outcome: 'gave_up' })
        this.options.logger.warn({ waitedMs: Date.now() - started }, 'the IP assignment stream is still not written up to these flows; attributing them with what is known')
        return
      }
      await sleep(this.options.frontierPollMs ?? FRONTIER_POLL_MS, undefined, { signal }).catch(() => undefined)
    }
    if (signal.aborted) return
    this.options.frontierWaits?.inc({ outcome: 'caught_up' })
    const waited = Date.now() - started
    if (waited > 5000) this.options.logger.info({ waitedMs: waited }, 'flows waited for the IP assignment stream to be read up to them')
  }

  /** Asks the frontier; when it covers now, reads the assignments again and moves to now. */
  private async probe(): Promise<void> {
    const frontier = this.options.frontier
    if (frontier === undefined) return
    const asOf = Date.now()
    let answer: FrontierAnswer = 'failed'
    try {
      answer = (await frontier.covers(asOf)) ? 'covered' : 'behind'
      if (answer === 'covered' && !(await this.refresh())) answer = 'failed'
    } catch (error) {
      this.options.logger.warn({ err: errorMessage(error) }, 'asking how far the IP assignment stream is written failed; will retry')
    }
    if (answer === 'covered') this.frontierAt = Math.max(this.frontierAt, asOf)
    this.lastProbe = { asOf, answer }
  }

  /** Learns the assignment changes written since the last read (by any processor); false if reading failed. */
  private refresh(): Promise<boolean> {
    this.reading = this.reading.then(() => this.readChanges())
    return this.reading
  }

  private async readChanges(): Promise<boolean> {
    this.readingNow = true
    try {
      const loaded = await loadOwnership(this.options.store, this.ownership, Math.max(0, this.since - OVERLAP_MS))
      this.since = Math.max(this.since, loaded.newestIngestMs)
      return true
    } catch (error) {
      this.options.logger.warn({ err: errorMessage(error) }, 'reading IP assignments failed; will retry')
      return false
    } finally {
      this.readingNow = false
    }
  }
}
