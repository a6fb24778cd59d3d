// Small pieces of the Kafka source's batch handling: a kafkajs message as the pipeline's record, and
// a bounded wait on the pipeline taking a batch.
import type { Batch, KafkaMessage } from 'kafkajs'
import type { SourceRecord } from '../../../pipeline/source.ts'

export function toSourceRecord(message: KafkaMessage): SourceRecord {
  return {
    position: message.offset,
    // A tombstone (null value) has no bytes; the record processor dead-letters it as one.
    data: message.value ?? Buffer.alloc(0),
    ...(message.value === null ? { tombstone: true } : {}),
    streamTimeMs: Number(message.timestamp),
  }
}

/** Messages the partition held past the batch when it was fetched (its high watermark less the next offset); undefined when kafkajs cannot say. */
export function behindAfter(batch: Pick<Batch, 'offsetLag'>): number | undefined {
  const lag = Number(batch.offsetLag())
  return Number.isFinite(lag) && lag >= 0 ? lag : undefined
}

/** The promise's value if it settles within `ms`, else undefined (and no timer is left behind). */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
