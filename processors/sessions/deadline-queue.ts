// Items by deadline, earliest first: a binary min-heap. Sessions time out through it, so a sweep
// looks only at the sessions whose deadline may have passed instead of every open one (issue 18: the
// scan of all open sessions once per second of event time was a visible share of the hot path when a
// backlog drains minutes of event time per second).

interface Entry<T> {
  deadline: number
  item: T
}

export class DeadlineQueue<T> {
  private readonly heap: Entry<T>[] = []

  get size(): number {
    return this.heap.length
  }

  push(deadline: number, item: T): void {
    const heap = this.heap
    const entry = { deadline, item }
    heap.push(entry)
    let at = heap.length - 1
    while (at > 0) {
      const parent = (at - 1) >> 1
      if ((heap[parent] as Entry<T>).deadline <= deadline) break
      heap[at] = heap[parent] as Entry<T>
      at = parent
    }
    heap[at] = entry
  }

  /** Takes the earliest item if its deadline is before `time`; undefined otherwise. */
  popBefore(time: number): T | undefined {
    const heap = this.heap
    const first = heap[0]
    if (first === undefined || first.deadline >= time) return undefined
    const last = heap.pop() as Entry<T>
    if (heap.length > 0) this.siftDown(last)
    return first.item
  }

  clear(): void {
    this.heap.length = 0
  }

  private siftDown(entry: Entry<T>): void {
    const heap = this.heap
    let at = 0
    for (;;) {
      const left = 2 * at + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && (heap[right] as Entry<T>).deadline < (heap[left] as Entry<T>).deadline ? right : left
      if ((heap[child] as Entry<T>).deadline >= entry.deadline) break
      heap[at] = heap[child] as Entry<T>
      at = child
    }
    heap[at] = entry
  }
}
