// Effectively once across a real crash: a `pulse process` child is killed with SIGKILL while a block it
// inserted waits for its commit (the commit is held by a proxy in front of ClickHouse), and a new
// `pulse process` takes the partitions over once the group lets the dead member go. With
// deduplication tokens the replayed block is dropped by ClickHouse and every event is there once;
// the same run with --no-dedup shows the duplicates the tokens prevent.
import { describe, expect, it } from 'vitest'
import { spawnPulseForTest } from '../helpers/cli.ts'
import { trapNthCommit } from '../helpers/commit-trap.ts'
import { kafkaPipeline, processArgs, produceClientEvents, serveClickHouse } from '../helpers/kafka.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

const EVENTS = 3000

async function runWithCrash(dedup: boolean): Promise<{ rows: number; distinct: number; firstExit: NodeJS.Signals | null; secondExit: number | null }> {
  // Blocks of 300 rows, cut by size only, so the killed processor has committed some and holds one.
  const pipeline = await kafkaPipeline({ clickhouse: { batchRows: 300, flushIntervalMs: 100_000, dedup } })
  await produceClientEvents(pipeline, EVENTS, dedup ? 31 : 32)
  const clickhouse = await serveClickHouse()
  const trap = await trapNthCommit(clickhouse.port, 3)
  const flags = dedup ? [] : ['--no-dedup']

  const first = spawnPulseForTest(processArgs(pipeline, trap.url, flags))
  await trap.sprung
  first.child.kill('SIGKILL')
  const killedBy = await new Promise<NodeJS.Signals | null>((resolve) => first.child.once('exit', (_code, signal) => resolve(signal)))

  // The replacement also flushes on time, so the tail of each partition (under 300 rows) lands too.
  const second = spawnPulseForTest(processArgs(pipeline, clickhouse.url, [...flags, '--flush-interval-ms', '200']))
  const { clickhouse: engine } = embeddedClickHouse()
  const table = `${pipeline.database}.client_events`
  // Every event lands at least once, so once all are there the replacement has replayed the rest.
  await pollUntil(() => count(engine, `SELECT uniqExact(event_id) FROM ${table}`), (n) => n === EVENTS, { what: 'every event', timeoutMs: 45_000 })
  second.child.kill('SIGTERM')
  const secondExit = await second.exited
  return {
    rows: await count(engine, `SELECT count() FROM ${table}`),
    distinct: await count(engine, `SELECT uniqExact(event_id) FROM ${table}`),
    firstExit: killedBy,
    secondExit,
  }
}

describe('a Kafka processor killed with SIGKILL between insert and commit', () => {
  it('is replaced by a new one and every event is in ClickHouse exactly once', async () => {
    expect(await runWithCrash(true)).toEqual({ rows: EVENTS, distinct: EVENTS, firstExit: 'SIGKILL', secondExit: 0 })
  })

  it('leaves duplicates when deduplication tokens are switched off', async () => {
    const result = await runWithCrash(false)
    expect(result.distinct).toBe(EVENTS)
    expect(result.rows).toBeGreaterThan(EVENTS)
  })
})
