// One timer bounds all of a collector's produce waits: each still fails at its own deadline, what
// settles in time keeps its outcome, and answered waits are not held on to.
import { describe, expect, it } from 'vitest'
import { Deadlines, TimeoutError } from '../../../../producers/collector/timeout.ts'

const never = (): Promise<never> => new Promise(() => undefined)

describe('Deadlines', () => {
  it('fails a wait that outlasts its deadline, and not before', async () => {
    const deadlines = new Deadlines(80)
    const started = performance.now()
    await expect(deadlines.within(never())).rejects.toBeInstanceOf(TimeoutError)
    // Timers may fire a millisecond early by performance.now's reckoning.
    expect(performance.now() - started).toBeGreaterThanOrEqual(79)
    expect(deadlines.open).toBe(0)
  })

  it('keeps the outcome of work that settles in time and forgets the wait', async () => {
    const deadlines = new Deadlines(5_000)
    await expect(deadlines.within(Promise.resolve(7))).resolves.toBe(7)
    await expect(deadlines.within(Promise.reject(new Error('stream down')))).rejects.toThrow('stream down')
    expect(deadlines.open).toBe(0)
  })

  it('fails each hanging wait at its own deadline while later ones still succeed', async () => {
    const deadlines = new Deadlines(60)
    const outcome = (wait: Promise<unknown>): Promise<unknown> => wait.then((value) => value, (error: unknown) => error)
    const started = performance.now()
    const first = outcome(deadlines.within(never()))
    let release: (value: string) => void = () => undefined
    const second = outcome(deadlines.within(new Promise<string>((done) => (release = done))))
    // Begun 30 ms after the others, so its deadline is 30 ms after theirs.
    await new Promise((done) => setTimeout(done, 30))
    const thirdStarted = performance.now()
    const third = outcome(deadlines.within(never()))
    release('late but in time')
    expect(await second).toBe('late but in time')
    expect(await first).toBeInstanceOf(TimeoutError)
    expect(performance.now() - started).toBeGreaterThanOrEqual(59)
    expect(await third).toBeInstanceOf(TimeoutError)
    expect(performance.now() - thirdStarted).toBeGreaterThanOrEqual(59)
    expect(deadlines.open).toBe(0)
  })
})
