// Bounds waits so the collector answers while the client still listens, whatever the stream's own
// retries do meanwhile. Every wait of one collector has the same length, so their deadlines come in
// the order the waits began: a queue, swept by one timer armed for its oldest open deadline, instead
// of a timer set and cleared for every request.

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

interface Wait {
  readonly deadline: number
  readonly fail: (error: Error) => void
  settled: boolean
}

export class Deadlines {
  private readonly queue: Wait[] = []
  /** Index of the oldest wait still in the queue; the queue is compacted when half of it is behind. */
  private head = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly ms: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** `work`'s outcome, or a TimeoutError once `ms` have passed (the work goes on; its late failure is ignored). */
  within<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const wait: Wait = { deadline: this.now() + this.ms, fail: reject, settled: false }
      this.queue.push(wait)
      this.arm()
      work.then(
        (value) => {
          this.settle(wait)
          resolve(value)
        },
        (error: unknown) => {
          this.settle(wait)
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      )
    })
  }

  /** Waits still open (for tests). */
  get open(): number {
    return this.queue.slice(this.head).filter((wait) => !wait.settled).length
  }

  private settle(wait: Wait): void {
    wait.settled = true
    this.dropSettled()
  }

  private arm(): void {
    if (this.timer !== undefined) return
    const oldest = this.queue[this.head]
    if (oldest === undefined) return
    // Unreferenced: a wait keeps the process up only through the work it waits for (a socket, a request).
    this.timer = setTimeout(() => this.sweep(), Math.max(0, oldest.deadline - this.now())).unref()
  }

  private sweep(): void {
    this.timer = undefined
    const now = this.now()
    for (let wait = this.queue[this.head]; wait !== undefined && wait.deadline <= now; wait = this.queue[++this.head]) {
      if (wait.settled) continue
      wait.settled = true
      wait.fail(new TimeoutError(this.ms))
    }
    this.dropSettled()
    this.arm()
  }

  /** Forgets settled waits at the front, so a queue of answered requests holds nothing. */
  private dropSettled(): void {
    while (this.queue[this.head]?.settled === true) this.head++
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }
}
