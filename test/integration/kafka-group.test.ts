// Scaling out: two `pulse process` children in one consumer group, each its own OS process, writing
// to this process's ClickHouse engine over the HTTP interface. The second joins while the first is
// busy, so the group rebalances mid-stream: the first flushes and commits what it holds before giving
// partitions up, the two share the partitions, and every event lands exactly once.
import { describe, expect, it } from 'vitest'
import { spawnPulseForTest, type RunningPulse } from '../helpers/cli.ts'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import { kafkaPipeline, processArgs, produceClientEvents, serveClickHouse, type KafkaTestPipeline } from '../helpers/kafka.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

const EVENTS = 8000

/** The partitions of a child's latest assignment, from its log. */
function assigned(running: RunningPulse): string[] {
  const lines = running.output().split('\n').filter((line) => line.includes('"msg":"partitions assigned"'))
  const last = lines[lines.length - 1]
  return last === undefined ? [] : (JSON.parse(last) as { partitions: string[] }).partitions
}

/** Produces `total` events in slices of 100 every 100 ms. */
async function trickle(pipeline: KafkaTestPipeline, total: number): Promise<void> {
  const events = generateClientTraffic({ seed: 42, startTime: Date.now() - 60_000, duplicateFraction: 0 }, total)
  for (let start = 0; start < total; start += 100) {
    const slice = events.slice(start, start + 100).map((item) => ({ key: item.key, value: encode('client_event', item.record) }))
    await pipeline.transport.send(pipeline.kafka.streams.client_event, slice)
    await sleep(100)
  }
}

describe('two pulse process in one consumer group', () => {
  it('share the partitions through a rebalance and write every event exactly once', async () => {
    // Small blocks, so the first processor holds rows and has committed some when the second joins.
    const pipeline = await kafkaPipeline({ clickhouse: { batchRows: 500 } })
    const clickhouse = await serveClickHouse()
    const { clickhouse: engine } = embeddedClickHouse()
    const table = `${pipeline.database}.client_events`
    await produceClientEvents(pipeline, EVENTS / 2, 41)

    const first = spawnPulseForTest(processArgs(pipeline, clickhouse.url))
    await pollUntil(() => count(engine, `SELECT count() FROM ${table}`).catch(() => 0), (n) => n > 0, { what: 'the first rows', timeoutMs: 30_000 })
    // The second half trickles in while the second processor starts, so the rebalance finds the first busy.
    const trickling = trickle(pipeline, EVENTS / 2)
    const second = spawnPulseForTest(processArgs(pipeline, clickhouse.url))
    await pollUntil(() => Promise.resolve(assigned(second).length), (n) => n > 0, { what: 'partitions for the second processor', timeoutMs: 60_000 })
    await trickling
    await pollUntil(() => count(engine, `SELECT uniqExact(event_id) FROM ${table}`), (n) => n === EVENTS, { what: 'every event', timeoutMs: 30_000 })

    // The group split the partitions between the two, and the first flushed before giving any up.
    const [mine, theirs] = [assigned(first), assigned(second)]
    expect(mine.length).toBeGreaterThan(0)
    expect(theirs.length).toBeGreaterThan(0)
    expect(mine.filter((partition) => theirs.includes(partition))).toEqual([])
    expect(first.output()).toContain('giving up partitions: flushing and committing first')
    const writers = await count(engine, `SELECT uniqExact(owner) FROM ${pipeline.database}.checkpoints WHERE position != ''`)
    expect(writers).toBe(2)

    second.child.kill('SIGTERM')
    first.child.kill('SIGTERM')
    expect(await Promise.all([first.exited, second.exited])).toEqual([0, 0])
    expect(await count(engine, `SELECT count() FROM ${table}`)).toBe(EVENTS)
    expect(await count(engine, `SELECT uniqExact(event_id) FROM ${table}`)).toBe(EVENTS)
  })
})
