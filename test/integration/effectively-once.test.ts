// Effectively once: a processor that dies after ClickHouse acknowledged a block but before its
// position was committed is replaced by one that replays the block. With deduplication tokens the
// replayed block is dropped by ClickHouse; with them switched off the same run shows duplicates.
import { describe, expect, it } from 'vitest'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import { crashOnCommit } from '../helpers/crash-on-commit.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import type { Config } from '../../runtime/config.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'

const EVENTS = 4000

function flushingOnTime(config: Config): Config {
  return { ...config, clickhouse: { ...config.clickhouse, flushIntervalMs: 200 } }
}

async function runWithCrash(dedup: boolean): Promise<{ rows: number; distinct: number; perMinute: number }> {
  // Blocks of 300 rows, cut by size only, so the crashed processor has committed some and holds one.
  const pipeline = await kinesisPipeline({ clickhouse: { batchRows: 300, flushIntervalMs: 100_000, dedup } })
  const generated = generateClientTraffic({ seed: 11, startTime: Date.now() - 120_000, duplicateFraction: 0 }, EVENTS)
  await pipeline.transport.send(pipeline.kinesis.streams.client_event, generated.map((item) => ({ key: item.key, value: encode('client_event', item.record) })))

  let crashed = false
  const first = await startProcessor(pipeline, crashOnCommit(3, () => (crashed = true)))
  await pollUntil(() => Promise.resolve(crashed), (value) => value, { what: 'the simulated crash' })
  await first.kill()

  // The replacement also flushes on time, so the tail of each shard (under 300 rows) lands too.
  const second = await startProcessor({ ...pipeline, runtime: { ...pipeline.runtime, config: flushingOnTime(pipeline.runtime.config) } })
  const { clickhouse } = embeddedClickHouse()
  const table = `${pipeline.database}.client_events`
  // Every event lands at least once, so once all are there the replacement has replayed everything.
  await pollUntil(() => count(clickhouse, `SELECT uniqExact(event_id) FROM ${table}`), (n) => n === EVENTS, { what: 'every event' })
  await second.stop()
  return {
    rows: await count(clickhouse, `SELECT count() FROM ${table}`),
    distinct: await count(clickhouse, `SELECT uniqExact(event_id) FROM ${table}`),
    perMinute: await count(clickhouse, `SELECT sum(events) FROM ${pipeline.database}.client_events_1m`),
  }
}

describe('effectively once across a crash', () => {
  it('replays the unconfirmed block and ClickHouse drops the repeat', async () => {
    const result = await runWithCrash(true)
    expect(result).toEqual({ rows: EVENTS, distinct: EVENTS, perMinute: EVENTS })
  })

  it('shows duplicates when deduplication tokens are switched off', async () => {
    const result = await runWithCrash(false)
    expect(result.distinct).toBe(EVENTS)
    expect(result.rows).toBeGreaterThan(EVENTS)
    // The minute windows are rebuilt from the rows up to the committed position, so an event counts
    // in client_events_1m at least once and at most as often as its raw row landed: a minute closed in
    // the repeated block is repeated too, one still open when the processor died is not.
    expect(result.perMinute).toBeGreaterThanOrEqual(EVENTS)
    expect(result.perMinute).toBeLessThanOrEqual(result.rows)
  })
})
