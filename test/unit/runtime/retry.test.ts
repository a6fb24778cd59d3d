// The retry helper: full-jitter backoff under a cap, and which errors it retries how often.

import { describe, expect, it } from 'vitest'
import { backoffDelay, retry, worthLogging, type RetryOptions } from '../../../runtime/retry.ts'
import { PulseError } from '../../../runtime/errors.ts'

const base = { attempts: 5, initialDelayMs: 100, maxDelayMs: 1000 } satisfies RetryOptions

describe('backoffDelay', () => {
  it('is zero when the jitter draws zero', () => {
    for (let attempt = 1; attempt <= 10; attempt++) expect(backoffDelay(attempt, { ...base, random: () => 0 })).toBe(0)
  })

  it('doubles its ceiling each attempt until the cap', () => {
    // Ceiling of attempt n: min(1000, 100 * 2^(n-1)) = 100, 200, 400, 800, 1000, 1000.
    const ceilings = [100, 200, 400, 800, 1000, 1000]
    const nearlyOne = (): number => 1 - 1e-9
    ceilings.forEach((ceiling, index) => expect(backoffDelay(index + 1, { ...base, random: nearlyOne })).toBe(ceiling))
  })

  it('scales the ceiling by the jitter draw (full jitter)', () => {
    expect(backoffDelay(3, { ...base, random: () => 0.5 })).toBe(200)
    expect(backoffDelay(1, { ...base, random: () => 0.25 })).toBe(25)
  })

  it('stays within [0, cap] with the real random source, even for huge attempt numbers', () => {
    for (let attempt = 1; attempt <= 2000; attempt++) {
      const delay = backoffDelay(attempt, base)
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(base.maxDelayMs)
      expect(Number.isInteger(delay)).toBe(true)
    }
  })
})

/** Options that never sleep, so the tests run at once. */
const fast = (options: Partial<RetryOptions> = {}): RetryOptions => ({ ...base, random: () => 0, ...options })

const transient = (): PulseError => new PulseError('server restarting', { retriable: true })

describe('retry', () => {
  it('returns the first success without retrying', async () => {
    const calls: number[] = []
    await expect(retry((attempt) => (calls.push(attempt), Promise.resolve('ok')), fast())).resolves.toBe('ok')
    expect(calls).toEqual([1])
  })

  it('retries a retriable error until it succeeds, numbering attempts from 1', async () => {
    const calls: number[] = []
    const result = await retry((attempt) => {
      calls.push(attempt)
      return attempt < 3 ? Promise.reject(transient()) : Promise.resolve(attempt)
    }, fast())
    expect(result).toBe(3)
    expect(calls).toEqual([1, 2, 3])
  })

  it('gives up after the given number of attempts with the last error', async () => {
    let calls = 0
    const failure = retry(() => {
      calls++
      return Promise.reject(new PulseError(`failure ${calls}`, { retriable: true }))
    }, fast({ attempts: 4 }))
    await expect(failure).rejects.toThrow('failure 4')
    expect(calls).toBe(4)
  })

  it('rethrows a non-retriable error at once', async () => {
    let calls = 0
    const bad = new PulseError('bad data', { retriable: false })
    await expect(retry(() => (calls++, Promise.reject(bad)), fast())).rejects.toBe(bad)
    expect(calls).toBe(1)
  })

  it('by default retries network errors by their code and nothing unknown', async () => {
    let calls = 0
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' })
    await expect(retry(() => (calls++, Promise.reject(refused)), fast({ attempts: 3 }))).rejects.toBe(refused)
    expect(calls).toBe(3)

    calls = 0
    await expect(retry(() => (calls++, Promise.reject(new Error('bug'))), fast({ attempts: 3 }))).rejects.toThrow('bug')
    expect(calls).toBe(1)
  })

  it('asks the caller-supplied predicate what is retriable', async () => {
    let calls = 0
    const options = fast({ attempts: 5, retriable: (error) => error instanceof Error && error.message === 'again' })
    const failure = retry(() => {
      calls++
      return Promise.reject(new Error(calls < 2 ? 'again' : 'stop'))
    }, options)
    await expect(failure).rejects.toThrow('stop')
    expect(calls).toBe(2)
  })

  it('calls onRetry before each wait with the error, attempt and delay', async () => {
    const seen: [string, number, number][] = []
    const errors = [transient(), transient()]
    await retry(
      (attempt) => {
        const error = errors[attempt - 1]
        return error === undefined ? Promise.resolve() : Promise.reject(error)
      },
      fast({
        random: () => 0.01,
        onRetry: (error, attempt, delayMs) => seen.push([(error as Error).message, attempt, delayMs]),
      }),
    )
    // Delays: round(0.01 * 100) = 1, round(0.01 * 200) = 2.
    expect(seen).toEqual([
      ['server restarting', 1, 1],
      ['server restarting', 2, 2],
    ])
  })

  it("labels each retry with the policy's cause, and 'other' without one", async () => {
    const causes: string[] = []
    const failOnce = (): ((attempt: number) => Promise<void>) => (attempt) => (attempt === 1 ? Promise.reject(transient()) : Promise.resolve())
    await retry(failOnce(), fast({ cause: (error) => `cause_${(error as Error).message.split(' ')[0] ?? ''}`, onRetry: (_e, _a, _d, cause) => causes.push(cause) }))
    await retry(failOnce(), fast({ onRetry: (_e, _a, _d, cause) => causes.push(cause) }))
    expect(causes).toEqual(['cause_server', 'other'])
  })

  it('logs the first failure and every tenth, not each one', () => {
    expect([1, 2, 9, 10, 11, 20].map(worthLogging)).toEqual([true, false, false, true, false, true])
  })

  it('does not call onRetry when it gives up', async () => {
    let retries = 0
    await expect(retry(() => Promise.reject(transient()), fast({ attempts: 2, onRetry: () => retries++ }))).rejects.toThrow()
    expect(retries).toBe(1)
  })

  it('stops retrying once the signal is aborted', async () => {
    const controller = new AbortController()
    let calls = 0
    const failure = retry(
      () => {
        calls++
        if (calls === 2) controller.abort()
        return Promise.reject(transient())
      },
      fast({ attempts: Infinity, signal: controller.signal }),
    )
    await expect(failure).rejects.toThrow('server restarting')
    expect(calls).toBe(2)
  })
})
