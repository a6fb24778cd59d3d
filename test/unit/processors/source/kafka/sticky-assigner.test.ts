// The sticky assignor's plan: balanced per topic and in total, each partition kept by the member that
// held it when balance allows, a member's departure moving only its partitions, and what a member
// says it held read defensively.
import { AssignerProtocol } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { decodeHeld, planSticky, stickyAssigner, type MemberClaim, type Plan } from '../../../../../processors/source/kafka/sticky-assigner.ts'

const TOPICS = new Map([
  ['client-events', [0, 1, 2, 3]],
  ['flows', [0, 1, 2, 3]],
  ['assignments', [0, 1, 2, 3]],
])

const claims = (plan: Plan): MemberClaim[] => [...plan].map(([memberId, topics]) => ({ memberId, held: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }))
const owners = (plan: Plan): Map<string, string> => {
  const byPartition = new Map<string, string>()
  for (const [member, topics] of plan) for (const [topic, partitions] of topics) for (const partition of partitions) byPartition.set(`${topic}/${partition}`, member)
  return byPartition
}
const counts = (plan: Plan, topic?: string): number[] => [...plan.values()].map((topics) => (topic === undefined ? [...topics.values()].flat().length : (topics.get(topic)?.length ?? 0))).sort()

describe('planSticky', () => {
  it('spreads every topic evenly and the totals evenly from nothing held', () => {
    const plan = planSticky(['b', 'a', 'c'].map((memberId) => ({ memberId, held: [] })), TOPICS)
    for (const topic of TOPICS.keys()) expect(counts(plan, topic)).toEqual([1, 1, 2])
    expect(counts(plan)).toEqual([4, 4, 4])
    expect(owners(plan).size).toBe(12)
  })

  it('moves only the partitions of a member that left, and few when a new one joins', () => {
    const first = planSticky(['a', 'b', 'c'].map((memberId) => ({ memberId, held: [] })), TOPICS)
    const before = owners(first)
    const left = planSticky(claims(first).filter((claim) => claim.memberId !== 'b'), TOPICS)
    const after = owners(left)
    const moved = [...before].filter(([partition, owner]) => after.get(partition) !== owner).map(([partition]) => partition)
    expect(moved.sort()).toEqual([...before].filter(([, owner]) => owner === 'b').map(([partition]) => partition).sort())
    expect(counts(left)).toEqual([6, 6])

    const joined = planSticky([...claims(left), { memberId: 'b2', held: [] }], TOPICS)
    const movedOnJoin = [...owners(left)].filter(([partition, owner]) => owners(joined).get(partition) !== owner)
    // The newcomer takes its share (4) and nothing else moves.
    expect(movedOnJoin.every(([partition]) => owners(joined).get(partition) === 'b2')).toBe(true)
    expect(movedOnJoin).toHaveLength(4)
    expect(counts(joined)).toEqual([4, 4, 4])
  })

  it('gives a partition two members claim to one of them only, and covers every partition', () => {
    const held = [{ topic: 'client-events', partitions: [0, 1, 2, 3] }]
    const plan = planSticky([{ memberId: 'a', held }, { memberId: 'b', held }], new Map([['client-events', [0, 1, 2, 3]]]))
    expect(counts(plan, 'client-events')).toEqual([2, 2])
    expect(new Set(owners(plan).keys()).size).toBe(4)
  })
})

describe('the assignor as kafkajs sees it', () => {
  it('says what the member held and hands the plan back encoded', async () => {
    const held = [{ topic: 'client-events', partitions: [2] }]
    const cluster = { findTopicPartitionMetadata: () => [0, 1, 2, 3].map((partitionId) => ({ partitionId })) }
    const assigner = stickyAssigner(() => held)({ cluster } as unknown as Parameters<ReturnType<typeof stickyAssigner>>[0])
    const mine = assigner.protocol({ topics: ['client-events'] })
    const other = { memberId: 'a', memberMetadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ['client-events'], userData: Buffer.alloc(0) }) }
    const result = await assigner.assign({ members: [other, { memberId: 'z', memberMetadata: mine.metadata }], topics: ['client-events'] })
    const decoded = new Map(result.map(({ memberId, memberAssignment }) => [memberId, AssignerProtocol.MemberAssignment.decode(memberAssignment)?.assignment]))
    expect(decoded.get('z')?.['client-events']).toContain(2)
    expect([...(decoded.get('a')?.['client-events'] ?? []), ...(decoded.get('z')?.['client-events'] ?? [])].sort()).toEqual([0, 1, 2, 3])
  })

  it('reads another assignor’s or damaged userData as nothing held', () => {
    expect(decodeHeld(null)).toEqual([])
    expect(decodeHeld(Buffer.from('not json'))).toEqual([])
    expect(decodeHeld(Buffer.from('{"topic":"x"}'))).toEqual([])
    expect(decodeHeld(Buffer.from('[{"topic":"x","partitions":[1,"2"]},{"topic":"y","partitions":[3]}]'))).toEqual([{ topic: 'y', partitions: [3] }])
  })
})
