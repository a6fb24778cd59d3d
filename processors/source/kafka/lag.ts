// Consumer lag of the partitions this process owns: the partition's end (high watermark) minus the
// group's committed offset, i.e. records not yet acknowledged by ClickHouse. Read from the broker on
// a timer rather than from fetched batches, so an idle or stalled consumer still reports its lag.
// Only owned partitions get a value: summed over every process of the group, each partition counts once.
import type { Admin } from 'kafkajs'
import type { Gauge } from 'prom-client'

export interface OwnedPartition {
  topic: string
  partition: number
}

export async function readLag(admin: Admin, groupId: string, owned: readonly OwnedPartition[]): Promise<Map<string, number>> {
  const topics = [...new Set(owned.map((entry) => entry.topic))]
  const lag = new Map<string, number>()
  if (topics.length === 0) return lag
  const [ends, committed] = await Promise.all([
    Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))),
    admin.fetchOffsets({ groupId, topics }),
  ])
  const committedOf = new Map<string, number>(committed.flatMap((topic) => topic.partitions.map((entry) => [`${topic.topic}/${entry.partition}`, Number(entry.offset)] as const)))
  for (const { topic, offsets } of ends) {
    for (const entry of offsets) {
      const key = `${topic}/${entry.partition}`
      if (!owned.some((mine) => mine.topic === topic && mine.partition === entry.partition)) continue
      const next = committedOf.get(key) ?? -1
      // No commit yet: everything still on the partition (from its low watermark) is behind.
      const from = next >= 0 ? next : Number(entry.low)
      lag.set(key, Math.max(0, Number(entry.high) - from))
    }
  }
  return lag
}

/** Sets the gauge for the owned partitions and removes the series of partitions no longer owned. */
export function publishLag(gauge: Gauge<'topic' | 'partition'>, lag: ReadonlyMap<string, number>, previous: Set<string>): Set<string> {
  for (const [key, value] of lag) gauge.set(labelsOf(key), value)
  for (const key of previous) if (!lag.has(key)) gauge.remove(labelsOf(key))
  return new Set(lag.keys())
}

function labelsOf(key: string): { topic: string; partition: string } {
  const slash = key.lastIndexOf('/')
  return { topic: key.slice(0, slash), partition: key.slice(slash + 1) }
}
