// The one retry helper: exponential backoff with full jitter, bounded attempts, abortable.
// Callers decide what is retriable; non-retriable errors are rethrown at once.
import { setTimeout as sleep } from 'node:timers/promises'
import { isRetriable } from './errors.ts'

export interface RetryOptions {
  /** Attempts in all, the first included; Infinity retries until aborted. */
  attempts: number
  initialDelayMs: number
  maxDelayMs: number
  retriable?: (error: unknown) => boolean
  /** Called before each wait, e.g. to count retries by cause and log once. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  signal?: AbortSignal
  random?: () => number
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, initialDelayMs: 100, maxDelayMs: 10_000 }

export function backoffDelay(attempt: number, options: RetryOptions): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (attempt - 1))
  return Math.round((options.random ?? Math.random)() * ceiling)
}

export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  const retriable = options.retriable ?? isRetriable
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      if (attempt >= options.attempts || !retriable(error) || options.signal?.aborted === true) throw error
      const delayMs = backoffDelay(attempt, options)
      options.onRetry?.(error, attempt, delayMs)
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {})
    }
  }
}
