// The chaos harness (chaos/, `npm run chaos`) run small, through its own scenario functions: its own
// broker and ClickHouse server process, real `pulse process` children, a few seeded faults each. It
// proves the harness passes a run with no duplicates and catches one with them (the negative control,
// --no-dedup); the full-size run is `npm run chaos` (RELIABILITY.md, "Chaos").
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openChaosEnv, type OpenEnv } from '../../chaos/run.ts'
import { runScenario } from '../../chaos/scenario.ts'
import { DEFAULTS, type ChaosOptions, type ScenarioName, type ScenarioResult } from '../../chaos/types.ts'

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
    expect([result.lost, result.duplicated, result.deadLetters]).toEqual([0, 0, 0])
    expect(result.passed).toBe(true)
  })

  it('sees the duplicates of the same kills without dedup tokens (the negative control)', async () => {
    // More kills than the others: a duplicate needs a kill between an insert and its commit, and
    // with 3 kills at this size a run once drew none there (0 duplicates, the test failed).
    const result = await run('negative-control', { kills: 8 })
    expect(result.lost).toBe(0)
    expect(result.duplicated).toBeGreaterThan(0)
    expect(result.passed).toBe(true)
  })

  it('passes a broker restart and a ClickHouse outage', async () => {
    const broker = await run('broker-restarts')
    expect([broker.lost, broker.duplicated, broker.passed]).toEqual([0, 0, true])
    const outage = await run('clickhouse-outage')
    expect(outage.faults).toMatch(/^ClickHouse down \d/)
    expect([outage.lost, outage.duplicated, outage.passed]).toEqual([0, 0, true])
    expect(outage.peakRssMiB).toBeGreaterThan(0)
  })
})
