// The zombie: two `pulse process` in one consumer group on 4-partition topics while a producer runs.
// One is frozen (SIGSTOP) past its session timeout; the group hands all its partitions to the other,
// which claims them in ClickHouse and writes past the frozen one's positions. Woken (SIGCONT), the
// frozen one still believes it owns its partitions (kafkajs has no partitions-lost callback): its
// next checkpoint write finds the claim, and it stops with one line instead of writing. Every event
// lands once, and no checkpoint row of the frozen one is written after it woke.
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { spawnPulseForTest, type RunningPulse } from '../helpers/cli.ts'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import { encode } from '../../schemas/codec.ts'
import { kafkaPipeline, processArgs, serveClickHouse, type KafkaTestPipeline } from '../helpers/kafka.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

const PARTITIONS = 4
/** Three topics (client events, flows, assignments) of 4 partitions each. */
const ALL_PARTITIONS = 3 * PARTITIONS
const SLICE = 100

/** The partitions of a child's latest assignment, from its log. */
function assigned(running: RunningPulse): string[] {
  const lines = running.output().split('\n').filter((line) => line.includes('"msg":"partitions assigned"'))
  const last = lines[lines.length - 1]
  return last === undefined ? [] : (JSON.parse(last) as { partitions: string[] }).partitions
}

function owner(running: RunningPulse): string {
  return `${hostname()}:${String(running.child.pid)}`
}

/** Client events in slices of 100 every 150 ms until stopped; `sent` counts what the broker acknowledged. */
function produceUntilStopped(pipeline: KafkaTestPipeline): { sent: () => number; stop: () => Promise<void> } {
  const events = generateClientTraffic({ seed: 77, startTime: Date.now() - 60_000, duplicateFraction: 0 }, 40_000)
  let sent = 0
  const stopping = new AbortController()
  const done = (async () => {
    while (!stopping.signal.aborted && sent < events.length) {
      const slice = events.slice(sent, sent + SLICE).map((item) => ({ key: item.key, value: encode('client_event', item.record) }))
      await pipeline.transport.send(pipeline.kafka.streams.client_event, slice)
      sent += slice.length
      await sleep(150)
    }
  })()
  return {
    sent: () => sent,
    stop: async () => {
      stopping.abort()
      await done
    },
  }
}

describe('a Kafka processor paused past its session timeout', () => {
  it('is fenced out when it wakes: it writes nothing more, and every event lands exactly once', async () => {
    const pipeline = await kafkaPipeline({ clickhouse: { batchRows: 300 }, kafka: { partitions: PARTITIONS } })
    // Two processors, their migrations and this test's polling at once: more than the default 4 queries.
    const clickhouse = await serveClickHouse(16)
    const { clickhouse: engine } = embeddedClickHouse()
    const db = pipeline.database
    const topic = pipeline.kafka.streams.client_event
    const producer = produceUntilStopped(pipeline)

    const stale = spawnPulseForTest(processArgs(pipeline, clickhouse.url))
    await pollUntil(() => count(engine, `SELECT count() FROM ${db}.client_events`).catch(() => 0), (n) => n > 0, { what: 'the first rows', timeoutMs: 60_000 })
    // Keep every checkpoint row, so what the stale processor wrote can be read back.
    await engine.client.command({ query: `SYSTEM STOP MERGES ${db}.checkpoints` })
    const other = spawnPulseForTest(processArgs(pipeline, clickhouse.url))
    await pollUntil(() => Promise.resolve([assigned(stale).length, assigned(other).length]), ([mine, theirs]) => mine === ALL_PARTITIONS / 2 && theirs === ALL_PARTITIONS / 2, { what: 'the partitions shared 6/6', timeoutMs: 60_000 })
    const staleClientPartitions = assigned(stale).filter((key) => key.startsWith(`${topic}/`)).map((key) => key.slice(topic.length + 1))
    expect(staleClientPartitions.length).toBeGreaterThan(0)
    const staleCommitted = (): Promise<Map<string, bigint>> => positions(engine, db, topic, owner(stale))
    await pollUntil(staleCommitted, (byPartition) => staleClientPartitions.every((partition) => byPartition.has(partition)), { what: 'commits of the stale processor after the rebalance', timeoutMs: 30_000 })

    stale.child.kill('SIGSTOP')
    const frozenAt = await staleCommitted()
    // The other takes every partition once the frozen one's 3 s session lapses, and writes past it.
    await pollUntil(() => Promise.resolve(assigned(other).length), (n) => n === ALL_PARTITIONS, { what: 'the other owning all 12 partitions', timeoutMs: 30_000 })
    await pollUntil(() => positions(engine, db, topic, owner(other)), (byPartition) => staleClientPartitions.every((partition) => (byPartition.get(partition) ?? -1n) > (frozenAt.get(partition) ?? 0n)), { what: 'the other committing past the frozen one', timeoutMs: 30_000 })
    const wokenAt = Date.now()
    stale.child.kill('SIGCONT')

    const code = await Promise.race([stale.exited, sleep(30_000, 'running' as const)])
    const exitedAfterMs = Date.now() - wokenAt
    expect(code).not.toBe('running')
    expect(code).not.toBe(0)
    expect(stale.output()).toMatch(/pulse: fenced out of Kafka partition \S+: another processor claimed it/)
    await producer.stop()
    const produced = producer.sent()
    await pollUntil(() => count(engine, `SELECT uniqExact(event_id) FROM ${db}.client_events`), (n) => n === produced, { what: 'every produced event', timeoutMs: 60_000 })
    other.child.kill('SIGTERM')
    expect(await other.exited).toBe(0)
    expect(await count(engine, `SELECT count() FROM ${db}.client_events`)).toBe(produced)
    expect(await count(engine, `SELECT uniqExact(event_id) FROM ${db}.client_events`)).toBe(produced)

    // Nothing of the woken processor landed after it woke, and on every partition it held, the
    // winning checkpoint is the other's, under a higher fence than any row of the stale one.
    const lateRows = await count(engine, `SELECT count() FROM ${db}.checkpoints WHERE owner = '${owner(stale)}' AND updated_at >= fromUnixTimestamp64Milli(toInt64(${wokenAt}))`)
    const fencedLine = stale.output().split('\n').find((line) => line.startsWith('pulse: fenced out'))
    console.info(`produced ${produced}; the woken processor exited ${String(code)} ${exitedAfterMs} ms after SIGCONT (${fencedLine ?? ''}); checkpoint rows it wrote after waking: ${lateRows}`)
    expect(lateRows).toBe(0)
    const fences = await fencesByPartition(engine, db, owner(stale))
    expect(fences.length).toBe(ALL_PARTITIONS)
    for (const row of fences) {
      expect(row.winner).toBe(owner(other))
      if (row.stale_fence !== null) expect(BigInt(row.winning_fence)).toBeGreaterThan(BigInt(row.stale_fence))
    }
    expect(fences.filter((row) => row.stale_fence !== null).length).toBeGreaterThanOrEqual(ALL_PARTITIONS / 2)
  })
})

/** The highest committed position an owner wrote per partition of a topic, under its latest fence (its current assignment). */
async function positions(engine: ReturnType<typeof embeddedClickHouse>['clickhouse'], db: string, topic: string, writer: string): Promise<Map<string, bigint>> {
  const result = await engine.client.query({
    query: `SELECT partition, toString(max(toUInt64(position))) AS committed FROM ${db}.checkpoints
            WHERE source = 'kafka' AND stream = {topic:String} AND owner = {writer:String} AND position != ''
              AND fence = (SELECT max(fence) FROM ${db}.checkpoints WHERE source = 'kafka' AND owner = {writer:String})
            GROUP BY partition`,
    query_params: { topic, writer },
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ partition: string; committed: string }>()
  return new Map(rows.map((row) => [row.partition, BigInt(row.committed)]))
}

interface FenceRow {
  stream: string
  partition: string
  winner: string
  winning_fence: string
  stale_fence: string | null
}

/** Per partition: who wrote the winning row (highest fence, then newest), its fence, and the stale owner's highest fence. */
async function fencesByPartition(engine: ReturnType<typeof embeddedClickHouse>['clickhouse'], db: string, staleOwner: string): Promise<FenceRow[]> {
  const result = await engine.client.query({
    query: `SELECT stream, partition, argMax(owner, (fence, version)) AS winner, toString(max(fence)) AS winning_fence,
                   if(countIf(owner = {stale:String}) = 0, NULL, toString(maxIf(fence, owner = {stale:String}))) AS stale_fence
            FROM ${db}.checkpoints WHERE source = 'kafka' GROUP BY stream, partition`,
    query_params: { stale: staleOwner },
    format: 'JSONEachRow',
  })
  return result.json<FenceRow>()
}
