// Long synchronous work in slices: a batch of a busy Kinesis shard (one GetRecords of KPL aggregates
// is ~150,000 events) or a large Kafka fetch took seconds of one uninterrupted run, while lease
// renewals and heartbeats, which are timers, waited; a Kinesis worker lost every lease that way and
// exited. Work that asks `due()` between items and awaits `turn()` when it says so lets timers and
// I/O in at least every `sliceMs`.
import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'

export class TurnBudget {
  private sliceStart = performance.now()

  constructor(private readonly sliceMs: number) {}

  /** Whether this slice has used its time. */
  due(): boolean {
    return performance.now() - this.sliceStart >= this.sliceMs
  }

  /** One turn of the event loop (timers, I/O), then a new slice. */
  async turn(): Promise<void> {
    await nextTurn()
    this.sliceStart = performance.now()
  }
}
