// Where a newly assigned partition is read from. Kafka's committed offset (the next offset to read) is
// the authority, with one exception: the flusher writes a block's commit to ClickHouse first and to
// Kafka second, so a crash (or a failed Kafka commit) between the two leaves ClickHouse ahead. Those
// rows are acknowledged, so reading resumes after ClickHouse's position instead of replaying them.
import type { Checkpoint } from '../../../pipeline/checkpoint.ts'

export type StartPosition =
  /** Kafka's committed offset; kafkajs resumes there by itself. */
  | { from: 'kafka'; offset: string }
  /** Seek to the offset after ClickHouse's checkpoint. */
  | { from: 'clickhouse'; offset: string }
  /** Nothing committed anywhere: the oldest record still on the partition. */
  | { from: 'earliest' }

/** `kafkaCommitted` is Kafka's committed offset for the group, '-1' or undefined when there is none. */
export function startPosition(kafkaCommitted: string | undefined, checkpoint: Checkpoint | undefined): StartPosition {
  const kafka = kafkaCommitted === undefined || BigInt(kafkaCommitted) < 0n ? undefined : BigInt(kafkaCommitted)
  const afterClickHouse = checkpoint?.position === undefined ? undefined : BigInt(checkpoint.position) + 1n
  if (afterClickHouse !== undefined && (kafka === undefined || afterClickHouse > kafka)) return { from: 'clickhouse', offset: afterClickHouse.toString() }
  if (kafka !== undefined) return { from: 'kafka', offset: kafka.toString() }
  return { from: 'earliest' }
}
