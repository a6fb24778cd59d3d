// What a failed Kafka offset commit means. A member that lost its place in the group (a rebalance
// moved the partition, the session lapsed) cannot commit for it and need not: ClickHouse holds the
// position, and the partition's next owner resumes after it (start-position.ts). Anything else
// (a broker restarting, a coordinator moving) is retried, a bounded number of times, and then fatal:
// a source that can no longer commit must not pretend it does.
import type { RetryOptions } from '../../../runtime/retry.ts'

const MEMBERSHIP_LOST = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID'])

/** kafkajs's protocol error type, looked for along the cause chain (its retrier wraps the original). */
export function protocolType(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const type = (current as { type?: unknown }).type
    if (typeof type === 'string') return type
  }
  return undefined
}

export function lostMembership(error: unknown): boolean {
  return MEMBERSHIP_LOST.has(protocolType(error) ?? '')
}

export function commitCause(error: unknown): string {
  const type = protocolType(error)
  if (type !== undefined) return `kafka_commit_${type.toLowerCase()}`
  return error instanceof Error ? `kafka_commit_${error.name.toLowerCase()}` : 'kafka_commit_unknown'
}

/** Six attempts over about half a minute: a broker restart fits, a lasting outage does not. */
export const COMMIT_RETRY: Pick<RetryOptions, 'attempts' | 'initialDelayMs' | 'maxDelayMs'> = { attempts: 6, initialDelayMs: 500, maxDelayMs: 10_000 }
