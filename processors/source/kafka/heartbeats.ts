// kafkajs heartbeats only between batches. A batch handler that waits long (the pipeline's
// backpressure while ClickHouse is slow) would let the session expire and the group would take the
// partitions away mid-batch; heartbeating while it waits keeps the membership, and a heartbeat that
// learns of a rebalance is reported once the handler is done, so kafkajs rejoins after the batch.
import type { Logger } from 'pino'

/** Errors that mean the group changed and the consumer must rejoin (kafkajs rejoins on each). */
const GROUP_CHANGES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'])

export function isGroupChange(error: unknown): error is Error {
  return error instanceof Error && GROUP_CHANGES.has(String((error as { type?: unknown }).type))
}

/**
 * Runs `work`, heartbeating every `intervalMs` while it runs. Resolves with the group-change error a
 * heartbeat met (to be rethrown to kafkajs), or undefined; `work` can ask whether one was met yet, to
 * stop early. Other heartbeat failures are left to kafkajs's next heartbeat.
 */
export async function whileHeartbeating(heartbeat: () => Promise<void>, intervalMs: number, work: (groupChanged: () => boolean) => Promise<void>, logger: Logger): Promise<Error | undefined> {
  let groupChange: Error | undefined
  let beating: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    beating = heartbeat().catch((error: unknown) => {
      if (isGroupChange(error)) groupChange ??= error
      else logger.debug({ err: error instanceof Error ? error.message : String(error) }, 'heartbeat during a long batch failed')
    })
  }, intervalMs)
  try {
    await work(() => groupChange !== undefined)
  } finally {
    clearInterval(timer)
    await beating
  }
  return groupChange
}
