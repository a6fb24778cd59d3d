// One round's decision of a worker, from a scan of the lease table (the KCL's lease taker): which
// free or expired leases to take, up to an even share, and failing that which one lease to ask the
// most loaded worker for. Pure, so the spread rules are tested without DynamoDB.
import { leaseKey, type Lease } from './lease-table.ts'

/** Since when a lease's current counter stands, on this worker's clock: its expiry is that plus the lease duration. */
export interface Observation {
  counter: number
  sinceMs: number
}

export interface PlanInput {
  leases: readonly Lease[]
  me: string
  /** Leases this worker holds and reads now. */
  held: ReadonlySet<string>
  seen: ReadonlyMap<string, Observation>
  nowMs: number
  leaseDurationMs: number
  /** The only worker of its table (the embedded default): any lease not held here is a dead predecessor's. */
  exclusive: boolean
  /** How long a shard must have been read by its owner before it is asked for (a move costs a restore). */
  minReadingMs: number
  /** This worker is still starting shards it took (claiming checkpoints, restoring state): it asks for no more. */
  busy: boolean
}

export interface Plan {
  take: Lease[]
  steal: Lease | undefined
  /** Leases whose parents are not finished yet. */
  waitingOnParents: number
  /** This worker's even share, over all streams. */
  target: number
}

export function planRound(input: PlanInput): Plan {
  const keys = new Set(input.leases.map((lease) => lease.key))
  const finished = new Set(input.leases.filter((lease) => lease.finished).map((lease) => lease.key))
  // A parent with no lease has expired past the stream's retention: nothing of it is left to read.
  const ready = (lease: Lease): boolean => lease.parents.every((parent) => !keys.has(leaseKey(lease.stream, parent)) || finished.has(leaseKey(lease.stream, parent)))
  const open = input.leases.filter((lease) => !lease.finished)
  const active = open.filter(ready)
  const takeable = (lease: Lease): boolean => !input.held.has(lease.key) && (lease.owner === '' || lease.owner === input.me || input.exclusive || isExpired(lease, input))
  // Workers are whoever holds a live lease of any stream, and this one.
  const workers = new Set([input.me, ...active.filter((lease) => !takeable(lease) && !input.held.has(lease.key)).map((lease) => lease.owner)])
  const plan: Plan = { take: [], steal: undefined, waitingOnParents: open.length - active.length, target: 0 }
  const asking = active.some((lease) => lease.stealer === input.me)
  // Each stream is spread on its own: an even share of every stream, not of the sum, keeps each stream's shards apart.
  for (const stream of new Set(active.map((lease) => lease.stream))) {
    const share = planStream(active.filter((lease) => lease.stream === stream), workers, takeable, input)
    plan.take.push(...share.take)
    plan.target += share.target
    // At most one steal per round, none while one asked for is not handed over yet, and none while
    // this worker restores shards it took: it is the one loaded then, whatever the counts say.
    if (!asking && !input.busy && plan.steal === undefined && share.take.length === 0) plan.steal = share.steal
  }
  return plan
}

function planStream(active: readonly Lease[], workers: ReadonlySet<string>, takeable: (lease: Lease) => boolean, input: PlanInput): { take: Lease[]; steal: Lease | undefined; target: number } {
  const load = new Map<string, Lease[]>([...workers].map((worker) => [worker, []]))
  for (const lease of active) {
    if (input.held.has(lease.key)) load.get(input.me)?.push(lease)
    else if (!takeable(lease)) load.get(lease.owner)?.push(lease)
  }
  const target = input.exclusive ? active.length : Math.ceil(active.length / workers.size)
  // A lease already in this worker's name (handed over on its request, or held by a predecessor of
  // the same id) is taken whatever the share: nobody else may take it before it expires, so left
  // alone its shard would stop for a lease duration.
  const mine = active.filter((lease) => takeable(lease) && lease.owner === input.me)
  const need = target - (load.get(input.me)?.length ?? 0) - mine.length
  if (need <= 0) return { take: mine, steal: undefined, target }
  // Free leases before expired ones: a free one was given up cleanly and needs no waiting.
  const others = active.filter((lease) => takeable(lease) && lease.owner !== input.me)
  const take = [...mine, ...others.sort((a, b) => Number(a.owner !== '') - Number(b.owner !== '')).slice(0, need)]
  return { take, steal: take.length === 0 ? stealCandidate(load, input, target, need) : undefined, target }
}

function isExpired(lease: Lease, input: PlanInput): boolean {
  const seen = input.seen.get(lease.key)
  return seen !== undefined && seen.counter === lease.counter && input.nowMs - seen.sinceMs >= input.leaseDurationMs
}

/**
 * One lease of the most loaded worker, if that worker holds more than an even share, or exactly its
 * share while this one is two or more short of it (the KCL's rule): 4 shards on 3 workers would
 * otherwise stay 2/2/0, since ceil(4 / 3) = 2. A steal thus always narrows a gap of two or more, so
 * two workers never pass a lease back and forth.
 * Of its leases, the one read longest, and only one read for `minReadingMs` at least: unlike the
 * KCL's, a Pulse shard carries state, and its next owner rebuilds it from ClickHouse before reading
 * on. A shard taken by a worker that is still restoring it, then asked for again (while workers die
 * and restart), would change hands without ever being read. On the owner's clock: a skew between
 * workers only moves when balancing may begin.
 */
function stealCandidate(load: ReadonlyMap<string, Lease[]>, input: PlanInput, target: number, need: number): Lease | undefined {
  let victim: Lease[] = []
  for (const [owner, leases] of load) if (owner !== input.me && leases.length > victim.length) victim = leases
  if (victim.length < target || (victim.length === target && need < 2)) return undefined
  const settled = victim.filter((lease) => lease.stealer === undefined && lease.readingSince !== undefined && input.nowMs - lease.readingSince >= input.minReadingMs)
  return settled.sort((a, b) => (a.readingSince ?? 0) - (b.readingSince ?? 0))[0]
}

/**
 * When the next lease held by another worker expires on this clock, if it does after `nowMs`: a round
 * then takes a dead worker's shards at once instead of up to a renew interval later.
 */
export function nextExpiry(leases: readonly Lease[], seen: ReadonlyMap<string, Observation>, me: string, nowMs: number, leaseDurationMs: number): number | undefined {
  let next: number | undefined
  for (const lease of leases) {
    const since = seen.get(lease.key)
    if (lease.finished || lease.owner === '' || lease.owner === me || since?.counter !== lease.counter) continue
    const at = since.sinceMs + leaseDurationMs
    if (at > nowMs && (next === undefined || at < next)) next = at
  }
  return next
}

/**
 * Records since when each lease's counter stands. That is its owner's renewal time (the lease then
 * expires a lease duration after its last renewal, so a dead worker's shards move within the lease
 * duration of its death, where counting from first sight added up to a scan interval), but never
 * earlier than one renew interval before this worker first saw the counter, nor later than that sight:
 * the scans come every renew interval, so on synchronised clocks the renewal is always inside that
 * bound, and a clock far off only moves expiry by a renew interval. A live owner renews within a
 * renew interval, and the duration is at least two of them (config.ts), so it is never judged expired.
 */
export function observe(seen: Map<string, Observation>, leases: readonly Lease[], nowMs: number, renewIntervalMs: number): void {
  for (const lease of leases) {
    const before = seen.get(lease.key)
    if (before !== undefined && before.counter === lease.counter) continue
    seen.set(lease.key, { counter: lease.counter, sinceMs: Math.min(nowMs, Math.max(lease.renewedAt, nowMs - renewIntervalMs)) })
  }
}
