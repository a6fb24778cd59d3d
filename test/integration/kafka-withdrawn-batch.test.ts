// A member gives its partitions up before a rebalance completes, and used to wait first for every
// batch it had handed the pipeline to be taken. Flows wait there for the IP assignment stream to be
// read up to them, and the assignment partition they waited on was owned by a member killed a moment
// before: it could only get a live owner once this rebalance completed, which waited on the flows. A
// CI chaos run stalled so, three members at once. Now the batches still waiting are withdrawn: the
// rebalance completes, and the withdrawn records are read again by whoever owns them next.
import { describe, expect, it, onTestFinished } from 'vitest'
import { kafkaSource, openKafka } from '../../cli/roles.ts'
import type { BatchOutcome, SourceBatch } from '../../pipeline/source.ts'
import { ClickHouseCheckpointStore } from '../../sinks/clickhouse/checkpoint-store.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { migrate } from '../../sinks/clickhouse/migrate.ts'
import { kafkaPipeline, produceClientEvents } from '../helpers/kafka.ts'
import { embeddedClickHouse, pollUntil, testLogger } from '../helpers/services.ts'

const EVENTS = 300

/** A pipeline that never takes a batch of its own accord, as flows waiting on an assignment partition nobody owns. */
function neverTaking(counts: { handed: number; withdrawn: number }) {
  return (batch: SourceBatch): Promise<BatchOutcome> => {
    counts.handed++
    return new Promise((resolve) => {
      const { withdrawn } = batch
      if (withdrawn === undefined) return
      withdrawn.addEventListener('abort', () => {
        counts.withdrawn++
        resolve('withdrawn')
      })
    })
  }
}

describe('a Kafka member whose pipeline has not taken its batches', () => {
  it('withdraws them when it gives its partitions up: the rebalance completes and the records are read by the next owner', async () => {
    const pipeline = await kafkaPipeline({ kafka: { sessionTimeoutMs: 3000 } })
    const { clickhouse } = embeddedClickHouse()
    await migrate(clickhouse.client, pipeline.database)
    await produceClientEvents(pipeline, EVENTS, 29)
    const checkpoints = (owner: string) => new ClickHouseCheckpointStore(clickhouse.client, pipeline.database, owner)

    const stuck = { handed: 0, withdrawn: 0 }
    const first = testLogger()
    const holdingRuntime = { ...pipeline.runtime, logger: first.logger, registry: createRegistry() }
    const holding = kafkaSource(holdingRuntime, openKafka(holdingRuntime), checkpoints('holding'))
    await holding.start(neverTaking(stuck))
    let holdingStopped = false
    onTestFinished(() => (holdingStopped ? undefined : holding.stop()))
    await pollUntil(() => Promise.resolve(stuck.handed), (n) => n >= 1, { what: 'a batch handed to the pipeline and held', timeoutMs: 60_000 })

    // A second member joins: the first must give its partitions up with batches still untaken.
    // By position: nothing is committed here, so a member reads its partitions again from the start after each rebalance.
    const read = new Set<string>()
    const second = testLogger()
    const takingRuntime = { ...pipeline.runtime, logger: second.logger, registry: createRegistry() }
    const taking = kafkaSource(takingRuntime, openKafka(takingRuntime), checkpoints('taking'))
    await taking.start((batch) => {
      if (batch.stream === pipeline.kafka.streams.client_event) for (const record of batch.records) read.add(`${batch.partition}/${record.position}`)
      return Promise.resolve('taken')
    })
    onTestFinished(() => taking.stop())
    const assignedTo = (lines: string[]) => lines.filter((line) => line.includes('"msg":"partitions assigned"')).length
    // Well inside kafkajs's 60 s rebalance timeout, after which the coordinator would drop the held-up member anyway.
    await pollUntil(() => Promise.resolve(assignedTo(second.lines)), (n) => n >= 1, { what: 'the rebalance completed with the second member in it', timeoutMs: 30_000 })
    expect(stuck.withdrawn).toBeGreaterThanOrEqual(1)
    expect(assignedTo(first.lines)).toBe(2)

    // The first member leaves (its stop withdraws what it holds again): every record reaches the second, none was taken by the first.
    await holding.stop()
    holdingStopped = true
    await pollUntil(() => Promise.resolve(read.size), (n) => n >= EVENTS, { what: 'every record read by the member left', timeoutMs: 60_000 })
    expect(read.size).toBe(EVENTS)
  })
})
