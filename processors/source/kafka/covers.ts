// Whether a topic's committed offsets reach past every record it held at a moment: its partitions'
// ends (high watermarks) are read after that moment, so a record appended before it lies below its
// partition's end, and is covered when the committed position (the last offset written) reaches it.
import type { Admin } from 'kafkajs'

export interface PartitionEnds {
  partition: number
  /** Offset the next record will get. */
  high: string
  /** Oldest offset still held (records below were deleted by retention). */
  low: string
}

export function endsCovered(ends: readonly PartitionEnds[], committed: ReadonlyMap<string, string>): boolean {
  return ends.every(({ partition, high, low }) => {
    if (BigInt(high) <= BigInt(low)) return true
    const position = committed.get(String(partition))
    return position !== undefined && BigInt(position) + 1n >= BigInt(high)
  })
}

export async function topicCovered(admin: Admin, topic: string, committed: ReadonlyMap<string, string>): Promise<boolean> {
  return endsCovered(await admin.fetchTopicOffsets(topic), committed)
}
