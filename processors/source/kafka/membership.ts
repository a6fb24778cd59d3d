// The group generation an assignment belongs to, as the partition fence needs it: the generation id
// and a way to ask the coordinator whether this member still belongs to it (partition-fence.ts).
import type { Membership } from './partition-fence.ts'
import type { JoinedGeneration } from './rejoin-hook.ts'
import { lostMembership, protocolType } from './commit-policy.ts'

/** A REBALANCE_IN_PROGRESS answer says nothing about this member yet: thrown, so the claim is tried again or dropped by the rejoin. */
export function membershipOf(joined: JoinedGeneration): Membership {
  const stillMember = (): Promise<boolean> => joined.heartbeat().then(
    () => true,
    (error: unknown) => {
      if (lostMembership(error) && protocolType(error) !== 'REBALANCE_IN_PROGRESS') return false
      throw error
    },
  )
  return { generation: joined.generationId, stillMember }
}
