// Work in slices: a loop that asks the budget between items lets a timer due meanwhile run before the
// loop ends, where the same loop without it runs to the end first.
import { describe, expect, it } from 'vitest'
import { TurnBudget } from '../../../runtime/turns.ts'

function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spinning: synchronous work
  }
}

async function timerFiredDuring(sliced: boolean): Promise<boolean> {
  let fired = false
  let finished = false
  setTimeout(() => (fired = !finished), 5)
  const budget = new TurnBudget(10)
  for (let item = 0; item < 40; item++) {
    busy(2)
    if (sliced && budget.due()) await budget.turn()
  }
  finished = true
  await new Promise((resolve) => setTimeout(resolve, 10))
  return fired
}

describe('TurnBudget', () => {
  it('is due once its slice has passed, and fresh after a turn', async () => {
    const budget = new TurnBudget(5)
    expect(budget.due()).toBe(false)
    busy(6)
    expect(budget.due()).toBe(true)
    await budget.turn()
    expect(budget.due()).toBe(false)
  })

  it('lets a timer run in the middle of long work, which unsliced work does not', async () => {
    expect(await timerFiredDuring(false)).toBe(false)
    expect(await timerFiredDuring(true)).toBe(true)
  })
})
