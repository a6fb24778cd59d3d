// A min-heap of items keyed by time, used for records waiting to be sent and for simulated timers.
// Equal times come out in insertion order, so output is deterministic and ties keep causal order.

export class TimedQueue<T> {
  // Parallel arrays rather than {time, item} wrappers: no allocation per push on the hot path.
  private readonly times: number[] = []
  private readonly seqs: number[] = []
  private readonly items: T[] = []
  private nextSeq = 0

  get size(): number {
    return this.items.length
  }

  /** Time of the earliest item; Infinity when empty, so "is anything due" needs no separate check. */
  peekTime(): number {
    return this.items.length === 0 ? Infinity : (this.times[0] as number)
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(time: number, item: T): void {
    this.times.push(time)
    this.seqs.push(this.nextSeq++)
    this.items.push(item)
    this.siftUp(this.items.length - 1)
  }

  pop(): T {
    const top = this.items[0]
    if (top === undefined) throw new RangeError('pop from an empty queue')
    const last = this.items.length - 1
    this.move(last, 0)
    this.times.pop()
    this.seqs.pop()
    this.items.pop()
    if (last > 0) this.siftDown(0)
    return top
  }

  private before(i: number, j: number): boolean {
    const ti = this.times[i] as number
    const tj = this.times[j] as number
    return ti < tj || (ti === tj && (this.seqs[i] as number) < (this.seqs[j] as number))
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number
    this.seqs[to] = this.seqs[from] as number
    this.items[to] = this.items[from] as T
  }

  private swap(i: number, j: number): void {
    const time = this.times[i] as number
    const seq = this.seqs[i] as number
    const item = this.items[i] as T
    this.move(j, i)
    this.times[j] = time
    this.seqs[j] = seq
    this.items[j] = item
  }

  private siftUp(start: number): void {
    let i = start
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(i, parent)) return
      this.swap(i, parent)
      i = parent
    }
  }

  private siftDown(start: number): void {
    const n = this.items.length
    let i = start
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) return
      const right = left + 1
      const child = right < n && this.before(right, left) ? right : left
      if (!this.before(child, i)) return
      this.swap(i, child)
      i = child
    }
  }
}
