// Discovery: lists the shards of each stream and adds a lease for every shard not in the lease table
// yet, with its parents, so children of a split or merge are found without a restart. Any worker may
// do it; the conditional put makes concurrent syncs harmless. It also notes which shards are closed
// (an EndingSequenceNumber), which the fan-out reader needs: kinesis-mock never ends their subscriptions.
import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis'
import type { LeaseTable } from './lease-table.ts'

export async function syncShards(client: KinesisClient, table: LeaseTable, streams: readonly string[], known: Set<string>, signal: AbortSignal, closed?: Set<string>): Promise<number> {
  let added = 0
  for (const stream of streams) {
    for (const shard of parentsFirst(await listShards(client, stream, signal))) {
      const id = shard.ShardId
      if (id !== undefined && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) closed?.add(`${stream}/${id}`)
      if (id === undefined || known.has(`${stream}/${id}`)) continue
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((parent) => parent !== undefined)
      if (await table.create(stream, id, parents)) added++
      known.add(`${stream}/${id}`)
    }
  }
  return added
}

/** A child's lease must never exist without its parent's, or a scan in between would find it ready. */
function parentsFirst(shards: readonly Shard[]): Shard[] {
  const ordered: Shard[] = []
  const placed = new Set<string | undefined>()
  const listed = new Set(shards.map((shard) => shard.ShardId))
  let rest = [...shards]
  while (rest.length > 0) {
    const ready = rest.filter((shard) => [shard.ParentShardId, shard.AdjacentParentShardId].every((parent) => parent === undefined || !listed.has(parent) || placed.has(parent)))
    // A cycle cannot happen in Kinesis; if the listing were inconsistent, keep its order for the rest.
    const next = ready.length > 0 ? ready : rest
    for (const shard of next) placed.add(shard.ShardId)
    ordered.push(...next)
    rest = rest.filter((shard) => !placed.has(shard.ShardId))
  }
  return ordered
}

/** Every shard ListShards names for the stream, open and closed, page by page. */
export async function listShards(client: KinesisClient, stream: string, signal?: AbortSignal): Promise<Shard[]> {
  const shards: Shard[] = []
  let nextToken: string | undefined
  do {
    const response = await client.send(new ListShardsCommand(nextToken === undefined ? { StreamName: stream } : { NextToken: nextToken }), signal === undefined ? {} : { abortSignal: signal })
    shards.push(...(response.Shards ?? []))
    nextToken = response.NextToken
  } while (nextToken !== undefined)
  return shards
}
