// The one retry loop: exponential backoff with full jitter, bounded attempts, abortable. Each
// subsystem (the ClickHouse sink, the Kinesis reader and producer, the Kafka commit) brings its own
// policy, as vector's RetryLogic does: what is retriable, a cause label for its retries metric, and
// what to do before each wait. Non-retriable errors are rethrown at once.
import { setTimeout as sleep } from 'node:timers/promises'
import { isRetriable } from './errors.ts'

export interface RetryOptions {
  /** Attempts in all, the first included; Infinity retries until aborted. */
  attempts: number
  initialDelayMs: number
  maxDelayMs: number
  retriable?: (error: unknown) => boolean
  /** A short label of what went wrong, for a retries metric (few values: never ids or addresses). */
  cause?: (error: unknown) => string
  /** Called before each wait, e.g. to count retries by cause and log (see worthLogging). */
  onRetry?: (error: unknown, attempt: number, delayMs: number, cause: string) => void
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
      options.onRetry?.(error, attempt, delayMs, options.cause?.(error) ?? 'other')
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {})
    }
  }
}

/** A retrying loop logs when trouble starts and then every tenth attempt, not one line per retry. */
export function worthLogging(attempt: number): boolean {
  return attempt === 1 || attempt % 10 === 0
}
