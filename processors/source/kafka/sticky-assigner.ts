// A sticky partition assignor for Pulse's consumer group. kafkajs ships only round-robin, which deals
// the sorted partitions over the sorted member ids: when one member of three leaves or a restarted
// one joins (with a new id), most partitions change hands. Each client-event partition that changes
// hands is restored from ClickHouse by its new owner (seconds per partition), so a kill cost every
// member a restore of every partition. This one keeps each partition with the member that held it
// before the rebalance, as long as the members stay balanced: a member that kept its partitions
// keeps their in-memory state too (processors/client-partitions.ts) and restores nothing.
//
// Each member says what it held in its subscription's userData; the leader plans per topic (a
// topic's partitions spread evenly, since the client events' partitions cost far more than the
// others'), evening out the remainders across topics.
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs'
import type { TopicPartitions } from './rejoin-hook.ts'

export const STICKY_ASSIGNER_NAME = 'PulseStickyAssigner'
const VERSION = 1

export interface MemberClaim {
  memberId: string
  held: readonly TopicPartitions[]
}

export type Plan = Map<string, Map<string, number[]>>

/**
 * Per topic, every member gets ⌊n/m⌋ or ⌈n/m⌉ partitions. Members with fewer partitions so far (all
 * topics) take the remainders first, so totals stay even; then those that held more of this topic.
 * Each keeps what it held, up to its share (a partition two members claim, as a stale one might, goes
 * to the first); the rest go to the members still under their share, in member order.
 */
export function planSticky(members: readonly MemberClaim[], partitionsByTopic: ReadonlyMap<string, readonly number[]>): Plan {
  const ids = members.map((member) => member.memberId).sort()
  const plan: Plan = new Map(ids.map((id) => [id, new Map<string, number[]>()]))
  if (ids.length === 0) return plan
  const heldBy = new Map(members.map((member) => [member.memberId, member.held]))
  const total = new Map(ids.map((id) => [id, 0]))
  for (const [topic, partitions] of [...partitionsByTopic].sort(([a], [b]) => a.localeCompare(b))) {
    const held = (id: string): Set<number> => new Set(heldBy.get(id)?.find((entry) => entry.topic === topic)?.partitions ?? [])
    const sorted = [...partitions].sort((a, b) => a - b)
    const ranked = [...ids].sort((a, b) => (total.get(a) ?? 0) - (total.get(b) ?? 0) || held(b).size - held(a).size || a.localeCompare(b))
    const base = Math.floor(sorted.length / ids.length)
    const share = new Map(ranked.map((id, index) => [id, base + (index < sorted.length % ids.length ? 1 : 0)]))
    const taken = new Map<string, number[]>(ids.map((id) => [id, []]))
    const free: number[] = []
    for (const partition of sorted) {
      const keeper = ids.find((id) => held(id).has(partition) && (taken.get(id)?.length ?? 0) < (share.get(id) ?? 0))
      if (keeper === undefined) free.push(partition)
      else taken.get(keeper)?.push(partition)
    }
    for (const partition of free) {
      const taker = ranked.find((id) => (taken.get(id)?.length ?? 0) < (share.get(id) ?? 0))
      if (taker !== undefined) taken.get(taker)?.push(partition)
    }
    for (const id of ids) {
      const mine = (taken.get(id) ?? []).sort((a, b) => a - b)
      total.set(id, (total.get(id) ?? 0) + mine.length)
      if (mine.length > 0) plan.get(id)?.set(topic, mine)
    }
  }
  return plan
}

/** What a member's userData says it held; another assignor's or a damaged one reads as nothing held. */
export function decodeHeld(userData: Buffer | null | undefined): TopicPartitions[] {
  if (userData === null || userData === undefined || userData.length === 0) return []
  try {
    const parsed: unknown = JSON.parse(userData.toString('utf8'))
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (entry): entry is TopicPartitions =>
        typeof entry === 'object' && entry !== null && typeof (entry as TopicPartitions).topic === 'string' && Array.isArray((entry as TopicPartitions).partitions) && (entry as TopicPartitions).partitions.every(Number.isInteger),
    )
  } catch {
    return []
  }
}

/** The kafkajs assignor; `held` is what this member had before it rejoined (nothing on its first join). */
export function stickyAssigner(held: () => readonly TopicPartitions[]): PartitionAssigner {
  return ({ cluster }) => ({
    name: STICKY_ASSIGNER_NAME,
    version: VERSION,
    protocol: ({ topics }) => ({
      name: STICKY_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.from(JSON.stringify(held())) }),
    }),
    assign: ({ members, topics }) => {
      const claims = members.map(({ memberId, memberMetadata }) => ({ memberId, held: decodeHeld(AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData) }))
      const partitionsByTopic = new Map(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((meta) => meta.partitionId)]))
      const plan = planSticky(claims, partitionsByTopic)
      return Promise.resolve(
        [...plan].map(([memberId, assignment]) => ({
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: VERSION, assignment: Object.fromEntries(assignment), userData: Buffer.alloc(0) }),
        })),
      )
    },
  })
}
