// The sessions' timeout queue: items come out earliest deadline first, and only once their deadline
// is before the time asked for; an item put back comes out again at its new deadline.
import { describe, expect, it } from 'vitest'
import { DeadlineQueue } from '../../../processors/sessions/deadline-queue.ts'

describe('DeadlineQueue', () => {
  it('hands out items in deadline order, only those due before the time', () => {
    const queue = new DeadlineQueue<string>()
    const deadlines = [50, 10, 40, 10, 90, 30, 70, 20, 60, 80]
    deadlines.forEach((deadline, index) => queue.push(deadline, `item-${index}@${deadline}`))
    const due: string[] = []
    for (let item = queue.popBefore(45); item !== undefined; item = queue.popBefore(45)) due.push(item)
    expect(due.map((item) => Number(item.split('@')[1]))).toEqual([10, 10, 20, 30, 40])
    expect(queue.popBefore(45)).toBeUndefined()
    expect(queue.size).toBe(5)
    expect(queue.popBefore(50)).toBeUndefined()
    expect(queue.popBefore(51)).toBe('item-0@50')
  })

  it('keeps heap order through many interleaved pushes and pops', () => {
    const queue = new DeadlineQueue<number>()
    let seed = 7
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 1000
    const popped: number[] = []
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 5; i++) {
        const deadline = random()
        queue.push(deadline, deadline)
      }
      const item = queue.popBefore(Number.POSITIVE_INFINITY)
      if (item !== undefined) popped.push(item)
    }
    for (let item = queue.popBefore(Infinity); item !== undefined; item = queue.popBefore(Infinity)) popped.push(item)
    expect(popped).toHaveLength(1000)
    // Each pop is the minimum of what was in the queue: the tail drained at the end is sorted.
    const tail = popped.slice(200)
    expect(tail).toEqual([...tail].sort((a, b) => a - b))
  })
})
