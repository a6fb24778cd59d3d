// Everything as-of enrichment needs around the ownership index: the history loaded at start-up, the
// changes other processors write read every few seconds, and the hold-back that lets an assignment
// arrive a little after the flows it explains.
import type { Logger } from 'pino'
import { setTimeout as sleep } from 'node:timers/promises'
import type { SourceBatch } from '../../pipeline/source.ts'
import type { StateStore } from '../../pipeline/state.ts'
import { errorMessage } from '../../runtime/errors.ts'
import { IpOwnershipIndex } from './ip-ownership.ts'
import { loadOwnership } from './load-ownership.ts'

/** How often changes other processors wrote to ip_assignments are read (well inside the hold-back). */
const REFRESH_MS = 2000
/** Rows are read again from this far before the newest seen: clocks of writers differ a little. */
const OVERLAP_MS = 30_000

export interface EnrichmentOptions {
  store: StateStore
  holdBackMs: number
  logger: Logger
}

export class Enrichment {
  readonly ownership = new IpOwnershipIndex()
  private poller: NodeJS.Timeout | undefined
  private since = 0
  private refreshing = false
  private readonly stopping = new AbortController()

  constructor(private readonly options: EnrichmentOptions) {}

  async start(): Promise<void> {
    const loaded = await loadOwnership(this.options.store, this.ownership)
    this.options.logger.info({ changes: loaded.applied }, 'IP ownership history loaded')
    this.since = loaded.newestIngestMs
    this.poller = setInterval(() => void this.refresh(), REFRESH_MS)
  }

  stop(): void {
    this.stopping.abort()
    if (this.poller !== undefined) clearInterval(this.poller)
  }

  /**
   * Flows wait until they are `holdBackMs` old on the stream (the source stops fetching that shard
   * meanwhile). Positions are untouched by the wait, so it costs freshness, not exactly-once.
   */
  async holdBack(batch: SourceBatch): Promise<void> {
    const holdMs = this.options.holdBackMs
    if (holdMs === 0) return
    const now = Date.now()
    const newest = Math.max(...batch.records.map((record) => record.streamTimeMs ?? now))
    const wait = newest + holdMs - now
    if (wait > 0) await sleep(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined)
  }

  /** Learns the assignment changes that processors owning other assignment partitions wrote. */
  private async refresh(): Promise<void> {
    if (this.refreshing) return
    this.refreshing = true
    try {
      const loaded = await loadOwnership(this.options.store, this.ownership, Math.max(0, this.since - OVERLAP_MS))
      this.since = Math.max(this.since, loaded.newestIngestMs)
    } catch (error) {
      this.options.logger.warn({ err: errorMessage(error) }, 'reading IP assignments failed; will retry')
    } finally {
      this.refreshing = false
    }
  }
}
