// `npm run chaos`: Pulse's Kafka and Kinesis paths under faults (RELIABILITY.md, "Chaos"). Each
// scenario drains the seeded workload with real `pulse process` children writing over HTTP to a
// ClickHouse server process, injects its faults at seeded moments, and counts the result.
// Exits 0 only when every scenario lost and duplicated nothing, matched the oracle, and the negative
// control duplicated. The Kafka and the Kinesis scenarios run as two lanes side by side (chaos/run.ts).
//
//   npm run chaos                                         all scenarios, default workload
//   npm run chaos -- --sequential                         one scenario at a time
//   npm run chaos -- --events 50000 --flows 10000 --only kafka-kills,zombie --no-write
//   npm run chaos -- --seed 3 --outage-seconds 10 --kills 30 --batch-rows 500
//   npm run chaos -- --only kinesis-kills,kinesis-reshard --kinesis-emulator kinesis-mock
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { machine, writeSection } from '../infra/report-section.ts'
import { notes, table } from './report.ts'
import { KINESIS_EMULATORS, type KinesisEmulatorName } from './kinesis.ts'
import { runChaos } from './run.ts'
import { DEFAULTS, SCENARIOS, type ChaosOptions, type ScenarioName } from './types.ts'

const { values: flags } = parseArgs({
  options: {
    events: { type: 'string' },
    flows: { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string' },
    kills: { type: 'string' },
    'batch-rows': { type: 'string' },
    'outage-seconds': { type: 'string' },
    'no-write': { type: 'boolean' },
    sequential: { type: 'boolean' },
    'kinesis-emulator': { type: 'string' },
  },
})

function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a whole number, got ${value}`)
  return parsed
}

function emulator(value: string | undefined): KinesisEmulatorName {
  if (value === undefined) return DEFAULTS.kinesisEmulator
  if (!(KINESIS_EMULATORS as readonly string[]).includes(value)) throw new Error(`--kinesis-emulator must be one of ${KINESIS_EMULATORS.join(', ')}, got ${value}`)
  return value as KinesisEmulatorName
}

function scenarios(only: string | undefined): ScenarioName[] {
  if (only === undefined) return [...SCENARIOS]
  const names = only.split(',').map((name) => name.trim())
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name))
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`)
  return names as ScenarioName[]
}

const log = (line: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`)

async function main(): Promise<number> {
  const options: ChaosOptions = {
    ...DEFAULTS,
    events: numberFlag('events', flags.events, DEFAULTS.events),
    flows: numberFlag('flows', flags.flows, DEFAULTS.flows),
    seed: numberFlag('seed', flags.seed, DEFAULTS.seed),
    kills: numberFlag('kills', flags.kills, DEFAULTS.kills),
    batchRows: flags['batch-rows'] === undefined ? undefined : numberFlag('batch-rows', flags['batch-rows'], 0),
    outageMs: numberFlag('outage-seconds', flags['outage-seconds'], DEFAULTS.outageMs / 1000) * 1000,
    kinesisEmulator: emulator(flags['kinesis-emulator']),
  }
  const names = scenarios(flags.only)
  const about = machine()
  const started = performance.now()
  const sequential = flags.sequential === true
  const results = await runChaos(options, names, log, sequential)
  const minutes = ((performance.now() - started) / 60_000).toFixed(1)
  const command = `npm run chaos${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  const body = [
    `Command: \`${command}\` (whole run ${minutes} min, ${new Date().toISOString().slice(0, 16)} UTC). Machine: ${about}.`,
    `Scenarios ${sequential ? 'one at a time' : 'in two lanes side by side (Kafka, Kinesis), each with its own ClickHouse server'}. Workload per scenario: ${options.events.toLocaleString('en-US')} client events and ${options.flows.toLocaleString('en-US')} flows (+ their IP assignments), seed ${options.seed}, ${options.partitions} partitions per topic, ${options.processors} processors in one group, session timeout ${options.sessionTimeoutMs / 1000} s.`,
    '',
    table(results),
    '',
    notes(results),
  ].join('\n')
  process.stdout.write(`\n${body}\n`)
  if (flags['no-write'] !== true) await writeSection(new URL('../RELIABILITY.md', import.meta.url).pathname, 'chaos', body)
  return results.every((result) => result.passed) && results.length > 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(1)
  },
)
