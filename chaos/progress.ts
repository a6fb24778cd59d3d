// Watches the drain: polls the row count, remembers when it last grew, and measures recovery: for
// each fault, the time from the fault's end (kill sent, broker or ClickHouse answering again, SIGCONT)
// to the next growth of the row count. A drain with no growth for `stallMs` fails with one line.
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClickHouseClient } from '@clickhouse/client'
import { ChaosTimeout } from './deadline.ts'
import { progressCount } from './verify.ts'

// Twice a second: recoveries are measured to half a second.
const POLL_MS = 500

export class Progress {
  private rows = 0
  private grewAt = Date.now()
  private readonly pending: number[] = []
  private longest = 0
  private lastFault: number | undefined
  private stopped = false
  private loop: Promise<void> | undefined
  private stall: Error | undefined

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    readonly target: number,
    private readonly stallMs: number,
    private readonly onTick: () => void,
    /** Count distinct ids, not rows: a run without dedup tokens writes replays again (verify.ts, progressCount). */
    private readonly distinct = false,
  ) {}

  start(): void {
    this.grewAt = Date.now()
    this.loop = this.run()
  }

  /** Rows visible at the last poll, as a fraction of the target. */
  fraction(): number {
    return this.rows / this.target
  }

  current(): number {
    return this.rows
  }

  /** A fault just ended: its recovery is measured to the next growth. */
  faultEnded(): void {
    this.lastFault = Date.now()
    this.pending.push(this.lastFault)
  }

  /** Lengthens the allowed stall while a fault deliberately stops progress (an outage). */
  extendStall(ms: number): void {
    this.grewAt = Math.max(this.grewAt, Date.now() + ms)
  }

  /** When the last fault ended (undefined: none yet). */
  lastFaultEndedAt(): number | undefined {
    return this.lastFault
  }

  longestRecoveryMs(): number {
    return this.longest
  }

  /** Resolves once the rows reach `fraction` of the target, or `signal` aborts; throws on a stall. */
  async until(fraction: number, signal?: AbortSignal): Promise<void> {
    while (this.rows < this.target * fraction && signal?.aborted !== true) {
      if (this.stall !== undefined) throw this.stall
      await sleep(POLL_MS)
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.onTick()
      const rows = await progressCount(this.client, this.database, this.distinct)
      const now = Date.now()
      if (rows !== undefined && rows > this.rows) {
        this.rows = rows
        for (const at of this.pending.splice(0)) this.longest = Math.max(this.longest, now - at)
        this.grewAt = now
      } else if (now - this.grewAt > this.stallMs && this.rows < this.target) {
        this.stall = new ChaosTimeout(`stalled: no new rows for ${Math.round(this.stallMs / 1000)} s at ${this.rows} of ${this.target}`)
      }
      await sleep(POLL_MS)
    }
  }
}
