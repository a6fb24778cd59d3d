// An awaited "partitions revoked / assigned" callback for kafkajs, which has none.
//
// What kafkajs 2.2.4 offers: consumer events GROUP_JOIN (after the new assignment is in place) and
// REBALANCING (emitted synchronously right before the consumer rejoins; a listener cannot delay the
// rejoin), heartbeat() inside eachBatch, pause/resume, seek and commitOffsets. Its maintainers' answer
// to "commit before the partition moves" is that it cannot be done (tulios/kafkajs#916). With the
// eager protocol kafkajs speaks, every member gives up all its partitions when it sends JoinGroup, and
// the group waits (up to the rebalance timeout) until every member has rejoined before it hands any
// partition out. So whatever runs before a member's JoinGroup runs before its partitions move.
//
// What Pulse does: it wraps ConsumerGroup.prototype.joinAndSync, the one function every join goes
// through (first join, rejoin after REBALANCE_IN_PROGRESS, after UNKNOWN_MEMBER_ID, after stale
// metadata), so that it awaits `beforeJoin` (flush and commit everything held) before joining and
// `afterJoin` (load checkpoints, seek) before the first fetch of the new assignment. The wrapper finds
// a consumer's hooks through the partition assigner factory, which kafkajs calls with the consumer's
// own cluster object (public API); consumers without hooks are untouched. This reaches into kafkajs
// internals, so it is checked against the exact version it was written for and refuses any other.
import { createRequire } from 'node:module'
import type { Cluster, PartitionAssigner } from 'kafkajs'

export interface TopicPartitions {
  topic: string
  partitions: number[]
}

export interface RejoinHooks {
  /**
   * Runs before the consumer (re)joins its group, i.e. before its partitions can move. kafkajs sends
   * no heartbeat meanwhile; `keepAlive` sends one (answered REBALANCE_IN_PROGRESS, which still renews
   * the member's session), so a long flush does not get the member dropped from the group.
   */
  beforeJoin(keepAlive: () => Promise<void>): Promise<void>
  /**
   * Runs once the consumer has its new assignment, before it fetches anything for it, with the
   * group generation the assignment belongs to (the partitions' fencing token: partition-fence.ts).
   */
  afterJoin(assignment: readonly TopicPartitions[], membership: JoinedGeneration): Promise<void>
}

export interface JoinedGeneration {
  generationId: number
  /** A heartbeat in that generation: rejects (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, …) once the member is out of it. */
  heartbeat(): Promise<void>
}

/** The kafkajs release whose ConsumerGroup this wrapper was written against and tested with. */
export const KAFKAJS_VERSION = '2.2.4'

interface ConsumerGroupInternals {
  cluster: Cluster
  /** Set by joinAndSync from the JoinGroup response. */
  generationId: number | null
  joinAndSync(): Promise<void>
  assigned(): TopicPartitions[]
  heartbeat(options: { interval: number }): Promise<void>
}

const hooksByCluster = new WeakMap<object, RejoinHooks>()
let installed = false

/** Wraps an assigner factory so that the consumer built with it runs `hooks` around every join. */
export function withRejoinHooks(assigner: PartitionAssigner, hooks: RejoinHooks): PartitionAssigner {
  install()
  return (config) => {
    hooksByCluster.set(config.cluster, hooks)
    return assigner(config)
  }
}

function install(): void {
  if (installed) return
  const require = createRequire(import.meta.url)
  const { version } = require('kafkajs/package.json') as { version: string }
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as { prototype?: Partial<ConsumerGroupInternals> }
  const prototype = ConsumerGroup.prototype
  const methods = [prototype?.joinAndSync, prototype?.assigned, prototype?.heartbeat]
  if (version !== KAFKAJS_VERSION || prototype === undefined || methods.some((method) => typeof method !== 'function')) {
    throw new Error(`the Kafka source's rebalance hook is written for kafkajs ${KAFKAJS_VERSION} internals, found kafkajs ${version}; re-check processors/source/kafka/rejoin-hook.ts`)
  }
  const original = prototype.joinAndSync as ConsumerGroupInternals['joinAndSync']
  prototype.joinAndSync = async function joinAndSync(this: ConsumerGroupInternals): Promise<void> {
    const hooks = hooksByCluster.get(this.cluster)
    if (hooks !== undefined) await hooks.beforeJoin(() => this.heartbeat({ interval: 0 }).catch(() => undefined))
    await original.call(this)
    if (hooks === undefined) return
    if (typeof this.generationId !== 'number') throw new Error(`kafkajs joined group without a generation id (found ${String(this.generationId)}); re-check processors/source/kafka/rejoin-hook.ts`)
    await hooks.afterJoin(this.assigned(), { generationId: this.generationId, heartbeat: () => this.heartbeat({ interval: 0 }) })
  }
  installed = true
}
