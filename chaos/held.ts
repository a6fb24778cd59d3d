// What the live members of a scenario hold, read from their own metrics: each member's
// pulse_source_partitions_assigned counts a partition (or shard) once its state is restored and it
// reads it (Kafka: adopted after the restore; Kinesis: a reader started after it). The stop waits for
// every partition to be held so: one held by nobody (its owner killed, its successor still
// restoring) would have its open windows and sessions written by no one at the stop.
const GAUGE = /^pulse_source_partitions_assigned\{stream="([^"]+)"\} (\d+)$/gm

/** Partitions held per stream, summed over the members; undefined while a member does not answer. */
export async function heldPartitions(metricsPorts: readonly number[]): Promise<Map<string, number> | undefined> {
  const held = new Map<string, number>()
  for (const port of metricsPorts) {
    const text = await scrape(port)
    if (text === undefined) return undefined
    for (const [stream, count] of parseHeld(text)) held.set(stream, (held.get(stream) ?? 0) + count)
  }
  return held
}

export function parseHeld(metrics: string): Map<string, number> {
  return new Map([...metrics.matchAll(GAUGE)].map((match) => [match[1] ?? '', Number(match[2])]))
}

async function scrape(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })
    return response.ok ? await response.text() : undefined
  } catch {
    return undefined // starting, stopping or frozen
  }
}
