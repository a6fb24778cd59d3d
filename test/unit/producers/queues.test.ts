// The two queues behind send-time order: a heap with FIFO ties, and the bucket ring used for sends.
import { describe, expect, it } from 'vitest'
import { Rng } from '../../../producers/generators/random.ts'
import { SendQueue } from '../../../producers/generators/send-queue.ts'
import { TimedQueue } from '../../../producers/generators/timed-queue.ts'

interface Item {
  time: number
  seq: number
}

/** The order both queues promise: by time, then by push order. */
function reference(items: readonly Item[]): Item[] {
  return [...items].sort((a, b) => a.time - b.time || a.seq - b.seq)
}

describe('TimedQueue', () => {
  it('pops by time, equal times in push order', () => {
    const rng = new Rng(1)
    const queue = new TimedQueue<Item>()
    const items = Array.from({ length: 5000 }, (_, seq) => ({ time: rng.int(300), seq }))
    for (const item of items) queue.push(item.time, item)
    const out: Item[] = []
    while (queue.size > 0) {
      expect(queue.peekTime()).toBe(queue.peek()?.time)
      out.push(queue.pop())
    }
    expect(out).toEqual(reference(items))
    expect(queue.peekTime()).toBe(Infinity)
    expect(() => queue.pop()).toThrow(RangeError)
  })
})

describe('SendQueue', () => {
  /** Pushes at a moving "now", popping what is due, as the generators do. */
  function run(farShare: number): { pushed: Item[]; popped: Item[] } {
    const rng = new Rng(2)
    const queue = new SendQueue<Item>(100, 1000)
    const pushed: Item[] = []
    const popped: Item[] = []
    let now = 1000
    for (let seq = 0; seq < 20_000; seq++) {
      now += rng.int(3)
      const time = now + (rng.chance(farShare) ? 100 + rng.int(5000) : rng.int(100))
      const item = { time, seq }
      pushed.push(item)
      queue.push(time, item)
      while (queue.peekTime() <= now) popped.push(queue.pop())
    }
    while (queue.size > 0) popped.push(queue.pop())
    return { pushed, popped }
  }

  it('keeps time order, and push order within a millisecond, for sends within the window', () => {
    const { pushed, popped } = run(0)
    expect(popped).toEqual(reference(pushed))
  })

  it('keeps time order when some sends go far beyond the window (late sends, retries)', () => {
    const { pushed, popped } = run(0.1)
    expect(popped.map((i) => i.time)).toEqual(reference(pushed).map((i) => i.time))
    expect(new Set(popped).size).toBe(pushed.length)
  })

  it('refuses a push before what it already sent, which would break send order', () => {
    const queue = new SendQueue<string>(10, 0)
    queue.push(5, 'a')
    queue.push(7, 'b')
    expect(queue.pop()).toBe('a')
    expect(() => {
      queue.push(4, 'late')
    }).toThrow(RangeError)
    queue.push(5, 'same time is fine')
    expect(queue.pop()).toBe('same time is fine')
    expect(queue.pop()).toBe('b')
    expect(queue.peekTime()).toBe(Infinity)
  })
})
