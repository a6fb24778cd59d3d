// Shared views over generated client traffic: first sends only, per-playback histories, small stats.
import type { ClientGenerated } from '../../../producers/generators/index.ts'
import type { ClientEvent } from '../../../schemas/types.ts'

/** Each event once (its first send), in send order. */
export function firstSends(records: readonly ClientGenerated[]): ClientEvent[] {
  const seen = new Set<string>()
  const events: ClientEvent[] = []
  for (const { record } of records) {
    if (seen.has(record.event_id)) continue
    seen.add(record.event_id)
    events.push(record)
  }
  return events
}

/** Events grouped by a key, each group in event-time order (one viewer's event times strictly increase). */
export function groupInEventOrder(events: readonly ClientEvent[], keyOf: (e: ClientEvent) => string | null): Map<string, ClientEvent[]> {
  const groups = new Map<string, ClientEvent[]>()
  for (const event of events) {
    const key = keyOf(event)
    if (key === null) continue
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [event])
    else group.push(event)
  }
  for (const group of groups.values()) group.sort((a, b) => a.event_time - b.event_time)
  return groups
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length
}

/** The value, failing the test with a message instead of a non-null assertion. */
export function defined<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}`)
  return value
}
