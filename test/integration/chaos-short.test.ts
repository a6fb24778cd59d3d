// The chaos harness (chaos/, `npm run chaos`) run small, through its own scenario functions: its own
// broker, Kinesis emulator and ClickHouse server process, real `pulse process` children, a few
// seeded faults each. It
// proves the harness passes runs with no duplicates and aggregates equal to the oracle's, and counts
// copied and missing rows as such; the
// negative control (--no-dedup) and the full-size run is `npm run chaos` (RELIABILITY.md, "Chaos").
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openChaosEnv, type OpenEnv } from '../../chaos/run.ts'
import { runScenario } from '../../chaos/scenario.ts'
import { DEFAULTS, type ChaosOptions, type ScenarioName, type ScenarioResult } from '../../chaos/types.ts'
import { duplicated, lost, readCounts } from '../../chaos/verify.ts'

const OPTIONS: ChaosOptions = {
  ...DEFAULTS,
  events: 10_000,
  flows: 2_000,
  seed: 5,
  kills: 3,
  brokerRestarts: 1,
  outageMs: 5_000,
  // Small blocks: a kill among a few large ones would rarely fall between an insert and its commit.
  batchRows: 300,
  // A stall here is a bug: fail in well under the test's timeout, with the harness's one line.
  stallMs: 45_000,
  // Restores of 10,000 events take well under a second: a lease or session and 10 s is plenty.
  settleAfterTakeoverMs: 10_000,
}

let env: OpenEnv | undefined
const lines: string[] = []

async function run(name: ScenarioName, overrides: Partial<ChaosOptions> = {}): Promise<ScenarioResult> {
  if (env === undefined) throw new Error('no chaos environment')
  const result = await runScenario(env, name, { ...OPTIONS, ...overrides })
  // Shown with the failure: the notes name the child logs of the run directory.
  if (!result.passed) console.error(`${name}: ${JSON.stringify(result, null, 2)}\n${lines.join('\n')}`)
  return result
}

describe('the chaos harness, small', () => {
  beforeAll(async () => {
    env = await openChaosEnv(OPTIONS, (line) => lines.push(line))
  })
  afterAll(async () => {
    await env?.close()
  })

  it('passes kills of processors with dedup: nothing lost, nothing duplicated', async () => {
    const result = await run('kafka-kills')
    expect(result.faults).toBe('3 SIGKILLs of 3 processors')
    // The stop came once every partition was held again by a live member (chaos/held.ts), not by a timeout.
    expect(result.notes.filter((note) => note.startsWith('not every partition'))).toEqual([])
    expect([result.lost, result.duplicated, result.deadLetters]).toEqual([0, 0, 0])
    // Aggregates, sessions, care actions and flow rollups equal the independent oracle's, key by key.
    expect(result.oracle).toBe('8 tables equal')
    expect(result.passed).toBe(true)
  })

  // The negative control itself (kills with --no-dedup) runs in `npm run chaos`: at this size a kill
  // rarely falls between a block's insert and its checkpoint, so CI runs with 3 and with 8 kills saw
  // no duplicate. Here the harness's judgement is proven on rows it did not produce: copies of rows
  // it already counted must read as duplicates, and removed rows as lost.
  it('counts copied rows as duplicated and missing ones as lost', async () => {
    if (env === undefined) throw new Error('no chaos environment')
    const { client } = env.clickhouse
    const found = await (await client.query({ query: "SELECT name FROM system.databases WHERE name LIKE 'chaos_kafka_kills_%' ORDER BY name DESC LIMIT 1", format: 'JSONEachRow' })).json<{ name: string }>()
    const database = found[0]?.name
    if (database === undefined) throw new Error('the kills scenario left no database')
    const before = await readCounts(client, database)
    expect([lost(before, OPTIONS.events, OPTIONS.flows), duplicated(before)]).toEqual([0, 0])
    await client.command({ query: `INSERT INTO ${database}.client_events SELECT * FROM ${database}.client_events ORDER BY event_id LIMIT 37 SETTINGS insert_deduplicate = 0` })
    expect(duplicated(await readCounts(client, database))).toBe(37)
    await client.command({ query: `DELETE FROM ${database}.network_flows WHERE source_index = 0 AND source_position IN (SELECT source_position FROM ${database}.network_flows ORDER BY source_partition, source_position LIMIT 5)`, clickhouse_settings: { mutations_sync: '2' } })
    expect(lost(await readCounts(client, database), OPTIONS.events, OPTIONS.flows)).toBeGreaterThan(0)
  })

  it('passes kills of Kinesis workers sharing leases', async () => {
    const killed = await run('kinesis-kills')
    expect(killed.faults).toBe('3 SIGKILLs of 3 processors')
    expect(killed.notes.filter((note) => note.startsWith('not every partition'))).toEqual([])
    expect([killed.lost, killed.duplicated, killed.deadLetters, killed.passed]).toEqual([0, 0, 0, true])
  })

  it('passes a Kinesis worker frozen past its leases', async () => {
    const frozen = await run('kinesis-zombie')
    expect(frozen.faults).toMatch(/^1 SIGSTOP for \d+\.\d s, then SIGCONT$/)
    expect([frozen.lost, frozen.duplicated, frozen.deadLetters, frozen.oracle, frozen.passed]).toEqual([0, 0, 0, '8 tables equal', true])
  })

  it('passes two splits and a merge under load', async () => {
    const resharded = await run('kinesis-reshard')
    expect(resharded.faults).toMatch(/^2 splits and 1 merge of the client-event stream at \d+ % of the drain \(5 open shards\)/)
    expect([resharded.lost, resharded.duplicated, resharded.deadLetters, resharded.passed]).toEqual([0, 0, 0, true])
  })

  it('passes a broker restart', async () => {
    const broker = await run('broker-restarts')
    expect([broker.lost, broker.duplicated, broker.passed]).toEqual([0, 0, true])
  })

  it('passes a ClickHouse outage', async () => {
    const outage = await run('clickhouse-outage')
    expect(outage.faults).toMatch(/^ClickHouse down \d/)
    expect([outage.lost, outage.duplicated, outage.passed]).toEqual([0, 0, true])
    expect(outage.peakRssMiB).toBeGreaterThan(0)
  })
})
