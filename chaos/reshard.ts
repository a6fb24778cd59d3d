// The Kinesis reshard under load: while the members drain the first half of the workload, two of
// the client-event stream's shards are split and two others merged (the children open at once); the
// second half is then put on by a producer with a fresh shard map, so it lands on the children. A
// child may be read only after its parents are read to their end, or the events of one app session,
// which follow its key from parent to child, would be processed out of order (and the sessions
// would differ from the oracle's).
import type { ClickHouseClient } from '@clickhouse/client'
import { moments } from './faults.ts'
import { produceWorkload } from './workload.ts'
import type { FaultContext } from './types.ts'

const shardId = (index: number): string => `shardId-${String(index).padStart(12, '0')}`

export async function reshard(ctx: FaultContext): Promise<string> {
  const kinesis = await ctx.env.kinesis()
  const stream = ctx.streams.client_event
  const [at = 0.1] = moments(ctx.rng, 1, 0.05, 0.25)
  await ctx.progress.until(at)
  if (ctx.options.partitions < 4) throw new Error(`the reshard needs 4 client-event shards, the run has ${ctx.options.partitions}`)
  await kinesis.splitShard(stream, shardId(0))
  await kinesis.splitShard(stream, shardId(1))
  await kinesis.mergeShards(stream, shardId(2), shardId(3))
  ctx.injected.count += 3
  ctx.progress.faultEnded()
  const open = (await kinesis.openShards(stream)).length
  const total = ctx.spec.events + ctx.spec.flows
  const half = Math.floor(total / 2)
  const transport = kinesis.transport(ctx.options.partitions)
  await produceWorkload(transport, ctx.streams, ctx.spec, { from: half, to: total })
  await transport.close()
  return `2 splits and 1 merge of the client-event stream at ${Math.round(at * 100)} % of the drain (${open} open shards), then the second half produced`
}

/** The four parents and the five shards made from them: 9 shards' records in client_events, or a reshard went unread. */
const SHARDS_AFTER = 9

export async function childrenRead(client: ClickHouseClient, database: string): Promise<string | undefined> {
  const result = await client.query({ query: `SELECT uniqExact(source_partition) AS shards FROM ${database}.client_events`, format: 'JSONEachRow' })
  const [row] = await result.json<{ shards: string }>()
  const shards = Number(row?.shards ?? 0)
  return shards === SHARDS_AFTER ? undefined : `client events came from ${shards} shards, not the ${SHARDS_AFTER} of the parents and their children`
}
