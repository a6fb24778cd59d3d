// Records waiting for their send time. Most are sent within a short window (client batching), so they
// go into one bucket per millisecond of a ring: O(1) push and pop, where a heap of a few hundred thousand
// records spent its time on cache misses. Records due beyond the window (late sends, retries) go to a heap.
import { TimedQueue } from './timed-queue.ts'

export class SendQueue<T> {
  private readonly buckets: T[][]
  /** Index of the first unconsumed record of each bucket (a bucket is an array used as a FIFO). */
  private readonly heads: number[]
  private readonly mask: number
  /** Time of the last record popped: later pushes never precede it, so ring times never alias. */
  private cursor: number
  private inRing = 0
  /** Earliest time in the ring, cached between pops; NaN when it must be looked up again. */
  private ringMin = NaN
  private readonly overflow = new TimedQueue<T>()

  /**
   * @param windowMs how far ahead of the earliest pending time records go to the ring
   * @param startTime no record is pushed for earlier than this
   */
  constructor(windowMs: number, startTime: number) {
    let size = 1
    while (size <= windowMs) size *= 2
    this.buckets = Array.from({ length: size }, () => [])
    this.heads = new Array<number>(size).fill(0)
    this.mask = size - 1
    this.cursor = startTime
  }

  get size(): number {
    return this.inRing + this.overflow.size
  }

  /** Pushes a record with an integer send time; equal times come out in push order within the ring. */
  push(time: number, item: T): void {
    if (time < this.cursor) throw new RangeError(`send time ${time} is before ${this.cursor}, already sent`)
    if (time > this.cursor + this.mask) {
      this.overflow.push(time, item)
      return
    }
    const bucket = this.buckets[time & this.mask]
    if (bucket === undefined) throw new Error('unreachable: bucket index is masked')
    bucket.push(item)
    this.inRing++
    if (time < this.ringMin) this.ringMin = time
  }

  /** Time of the earliest record; Infinity when empty. */
  peekTime(): number {
    const ringTime = this.advance()
    const overflowTime = this.overflow.peekTime()
    return ringTime < overflowTime ? ringTime : overflowTime
  }

  pop(): T {
    const ringTime = this.advance()
    // On a tie the ring goes first: its records were queued within the window, so usually earlier.
    const overflowTime = this.overflow.peekTime()
    if (ringTime <= overflowTime && ringTime !== Infinity) return this.popRing(ringTime)
    // Nothing later is pushed before a popped time, so the window may start here.
    if (overflowTime !== Infinity) this.cursor = overflowTime
    return this.overflow.pop()
  }

  /**
   * Time of the first non-empty bucket (Infinity when the ring is empty). It only looks: the cursor moves
   * on pop, because until then a push may still land between the cursor and this time.
   */
  private advance(): number {
    if (this.inRing === 0) return Infinity
    if (!Number.isNaN(this.ringMin)) return this.ringMin
    for (let time = this.cursor; ; time++) {
      const index = time & this.mask
      const bucket = this.buckets[index]
      if (bucket !== undefined && (this.heads[index] ?? 0) < bucket.length) {
        this.ringMin = time
        return time
      }
    }
  }

  private popRing(time: number): T {
    this.cursor = time
    const index = time & this.mask
    const bucket = this.buckets[index] ?? []
    const head = this.heads[index] ?? 0
    const item = bucket[head] as T
    if (head + 1 === bucket.length) {
      // Drained: reuse the array for a later millisecond instead of shifting or reallocating.
      bucket.length = 0
      this.heads[index] = 0
      this.ringMin = NaN
    } else {
      this.heads[index] = head + 1
    }
    this.inRing--
    return item
  }
}
