// Proof with a real peer (issue 17): the official ClickHouse JDBC driver, fetched from Maven Central
// and run on the machine's Java, against a live `pulse run`, answers exactly what `pulse query` answers
// on the same data: a GROUP BY, a prepared statement, and the metadata DBeaver's navigator reads.
// Never skipped: without Java or Maven the fetch or the compile fails, and so does the test.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { findLiveRun } from '../../cli/run-file.ts'
import { ensureClickHouseJdbcDriver } from '../../infra/jdbc/driver.ts'
import { columnsOf } from '../../schemas/tables.ts'
import { pulse, spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'

const run = promisify(execFile)
const PROBE = fileURLToPath(new URL('../jdbc/PulseJdbcProbe.java', import.meta.url))
const FREE_PORTS = ['--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0']
/** What a user sets for this interface: its refusal of ClickHouse's LZ4 framing (compress=1) is the one. */
const URL_PROPERTIES = 'compress=0'
/** A value that would widen the WHERE if the driver spliced it in as SQL rather than as a literal. */
const HOSTILE = "x' OR '1'='1"

async function tsv(dataDir: string, sql: string): Promise<string[][]> {
  const { stdout } = await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', sql])
  return stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'))
}

/** The probe compiled into a private folder, with the driver's jars: the `java -cp` value. */
async function compileProbe(): Promise<string> {
  const libs = await ensureClickHouseJdbcDriver()
  const classes = mkdtempSync(join(tmpdir(), 'pulse-jdbc-probe-'))
  onTestFinished(() => rmSync(classes, { recursive: true, force: true }))
  await run('javac', ['-d', classes, PROBE])
  return `${join(libs, '*')}:${classes}`
}

function answers(stdout: string, kind: string): string[][] {
  return stdout.split('\n').filter((line) => line.startsWith(`${kind}\t`)).map((line) => line.split('\t').slice(1))
}

describe('the ClickHouse JDBC driver on pulse run', () => {
  it('answers a GROUP BY, a prepared statement, getTables and getColumns as pulse query does', { timeout: 300_000 }, async () => {
    const classpath = await compileProbe()
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-jdbc-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    // A short run leaves data; a second run producing nothing then serves it unchanged, so the
    // driver's answers and pulse query's are about the same rows.
    const filling = spawnPulse(['run', '--duration', '6', '--data-dir', dataDir, ...FREE_PORTS])
    onTestFinished(() => {
      filling.child.kill('SIGKILL')
    })
    expect(await filling.exited).toBe(0)
    const serving = spawnPulse(['run', '--data-dir', dataDir, '--client-rate', '0', '--flow-rate', '0', ...FREE_PORTS])
    onTestFinished(() => {
      serving.child.kill('SIGKILL')
    })
    const live = await pollUntil(() => Promise.resolve(findLiveRun(dataDir)), (found) => (found?.queryPort ?? 0) > 0, { what: 'the query port of pulse run', timeoutMs: 90_000 })
    const port = String(live?.queryPort)

    const groupSql = 'SELECT event_type, count() FROM pulse.client_events GROUP BY event_type ORDER BY event_type'
    const expectedGroups = await tsv(dataDir, groupSql)
    expect(expectedGroups.length).toBeGreaterThan(1)
    const busiest = [...expectedGroups].sort((a, b) => Number(b[1]) - Number(a[1]))[0]?.[0] ?? ''
    const [[busiestCount]] = (await tsv(dataDir, `SELECT count() FROM pulse.client_events WHERE event_type = '${busiest}'`)) as [[string]]
    const tables = (await tsv(dataDir, "SELECT name FROM system.tables WHERE database = 'pulse' ORDER BY name")).map(([name]) => name)

    const started = Date.now()
    const { stdout } = await run('java', ['-cp', classpath, 'PulseJdbcProbe', `jdbc:clickhouse://127.0.0.1:${port}/pulse?${URL_PROPERTIES}`, busiest, HOSTILE])
    const probeMs = Date.now() - started
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('done')
    expect(answers(stdout, 'group')).toEqual(expectedGroups)
    expect(answers(stdout, 'prepared')).toEqual([
      [busiest, busiestCount],
      [HOSTILE, '0'],
    ])
    expect(answers(stdout, 'table')).toEqual(tables.map((name) => [name, 'pulse']))
    expect(tables).toContain('client_events')
    expect(answers(stdout, 'column')).toEqual(columnsOf('client_events').map(([name, type]) => [name, type]))
    // The data did not move under the probe: pulse query still answers what the driver was compared with.
    expect(await tsv(dataDir, groupSql)).toEqual(expectedGroups)
    console.log(`JDBC probe (${answers(stdout, 'driver')[0]?.join(' ') ?? '?'}) ran in ${probeMs} ms`)

    // Left at the driver's default, compress=1 is refused by name: the user learns what to turn off.
    const refused = await run('java', ['-cp', classpath, 'PulseJdbcProbe', `jdbc:clickhouse://127.0.0.1:${port}/pulse`, busiest]).then(
      () => undefined,
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    )
    expect(refused?.code).not.toBe(0)
    expect(refused?.stdout).not.toMatch(/^group\t/m)
    expect(refused?.stderr).toMatch(/Code: 48\. DB::Exception: compress=1 .* not supported by Pulse's embedded interface/)

    serving.child.kill('SIGINT')
    expect(await serving.exited).toBe(0)
  })
})
