// `npm run bench:query-isolation`: does a slow analyst query stall ingestion? Two `pulse run`s of the
// same length on the embedded default, one alone and one while a client keeps a 10-second query
// running through the embedded HTTP interface (the issue's `sleepEachRow` example, which holds a
// query open without using CPU), each read from its own status lines: rows written per second,
// the slowest second, and the number of seconds with nothing written.
//
//   npm run bench:query-isolation                 20 s per run
//   npm run bench:query-isolation -- --seconds 30
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const BIN = fileURLToPath(new URL('../bin/pulse.js', import.meta.url))
const SLOW_QUERY = 'SELECT sum(sleepEachRow(1)) FROM numbers(10) SETTINGS max_block_size = 1'

const { values } = parseArgs({ options: { seconds: { type: 'string' } } })
const seconds = Number(values.seconds ?? 20)

interface RunResult {
  perSecond: number[]
  slowQueries: number
}

function queryPort(dataDir: string): number | undefined {
  try {
    const run = JSON.parse(readFileSync(join(dataDir, 'pulse-run.json'), 'utf8')) as { queryPort?: number }
    return run.queryPort === 0 ? undefined : run.queryPort
  } catch {
    return undefined
  }
}

/** Keeps one slow query running through the interface until `done`; returns how many completed. */
async function keepQuerying(dataDir: string, done: () => boolean): Promise<number> {
  let completed = 0
  while (!done()) {
    const port = queryPort(dataDir)
    if (port === undefined) {
      await sleep(200)
      continue
    }
    const response = await fetch(`http://127.0.0.1:${port}/?query=${encodeURIComponent(SLOW_QUERY)}`).catch(() => undefined)
    if (response?.ok === true) completed++
    else await sleep(200)
  }
  return completed
}

async function run(withQuery: boolean): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pulse-bench-query-'))
  const child = spawn(process.execPath, [BIN, 'run', '--duration', String(seconds), '--data-dir', dataDir, '--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  let exited = false
  const ended = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      resolve()
    }),
  )
  const querying = withQuery ? keepQuerying(dataDir, () => exited) : Promise.resolve(0)
  await ended
  const slowQueries = await querying
  rmSync(dataDir, { recursive: true, force: true })
  // Whole seconds of traffic only: the first line covers set-up, the last the stop.
  const perSecond = [...output.matchAll(/rows written ([\d,]+)\/s/g)].map((match) => Number((match[1] ?? '0').replaceAll(',', ''))).slice(1, -1)
  return { perSecond, slowQueries }
}

function line(name: string, result: RunResult): string {
  const sorted = [...result.perSecond].sort((a, b) => a - b)
  const mean = result.perSecond.reduce((sum, value) => sum + value, 0) / Math.max(1, result.perSecond.length)
  const zero = result.perSecond.filter((value) => value === 0).length
  return `| ${name} | ${Math.round(mean).toLocaleString('en-US')} | ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toLocaleString('en-US')} | ${(sorted[0] ?? 0).toLocaleString('en-US')} | ${zero} of ${result.perSecond.length} | ${result.slowQueries} |`
}

const alone = await run(false)
const busy = await run(true)
process.stdout.write(
  [
    `pulse run for ${seconds} s, alone and with a 10-second query kept running through the embedded interface:`,
    '',
    '| run | rows written/s (mean) | median | slowest second | seconds with 0 rows | 10 s queries completed |',
    '|---|---|---|---|---|---|',
    line('alone', alone),
    line('with the slow query', busy),
    '',
  ].join('\n'),
)
