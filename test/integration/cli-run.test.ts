// The front door, as the README promises it: `pulse run` on the embedded default for 20 seconds
// leaves queryable data, `pulse query` reads it while the run is live (counts grow) and after it.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pulse, spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'

const FREE_PORTS = ['--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0']

async function countRows(dataDir: string, table: string): Promise<number> {
  const { stdout } = await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', `SELECT count() FROM pulse.${table}`])
  return Number(stdout.trim())
}

describe('pulse run on the embedded default', () => {
  it('shows live progress, serves queries while running, and leaves the data behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-cli-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const running = spawnPulse(['run', '--duration', '20', '--data-dir', dataDir, ...FREE_PORTS])
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })

    const first = await pollUntil(() => countRows(dataDir, 'client_events').catch(() => 0), (n) => n > 0, { what: 'first rows', timeoutMs: 60_000 })
    await sleep(5000) // the bar: two queries five seconds apart
    const second = await countRows(dataDir, 'client_events')
    expect(second).toBeGreaterThan(first)

    expect(await running.exited).toBe(0)
    const output = running.output()
    expect(output).toMatch(/produced [\d,]+\/s \| processed [\d,]+\/s \| rows written [\d,]+\/s/)
    expect(output).toMatch(/Pulse ran [\d.]+ s: produced [\d,]+ records/)
    expect(await countRows(dataDir, 'client_events')).toBeGreaterThanOrEqual(10_000)
    expect(await countRows(dataDir, 'network_flows')).toBeGreaterThanOrEqual(1000)
    const known = await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', "SELECT countIf(src_app != 'unknown') / count() FROM pulse.network_flows WHERE log_status = 'OK'"])
    expect(Number(known.stdout.trim())).toBeGreaterThan(0.5)
  })

  it('sums up every produced record in named outcomes that match the tables', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-summary-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    // No allowed lateness: the generator's late sends become too_late dead letters; its repeats, duplicates.
    const running = spawnPulse(['run', '--duration', '8', '--data-dir', dataDir, '--window-seconds', '1', '--allowed-lateness-ms', '0', '--out-of-orderness-ms', '0', ...FREE_PORTS])
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })
    expect(await running.exited).toBe(0)
    const output = running.output()
    const number = (pattern: RegExp): number => Number((pattern.exec(output)?.[1] ?? 'NaN').replaceAll(',', ''))
    const produced = number(/produced ([\d,]+) records:/)
    const aggregated = number(/([\d,]+) stored and aggregated/)
    const tooLate = number(/([\d,]+) stored too late/)
    const duplicates = number(/([\d,]+) duplicate ids dropped/)
    const rejected = number(/([\d,]+) rejected to dead_letters/)
    const unprocessed = /([\d,]+) left on the stream/.test(output) ? number(/([\d,]+) left on the stream/) : 0
    expect(aggregated + tooLate + duplicates + rejected + unprocessed).toBe(produced)
    expect(tooLate).toBeGreaterThan(0)
    expect(duplicates).toBeGreaterThan(0)
    const rows = (table: string): number => number(new RegExp(`${table} ([\\d,]+)`))
    expect(rows('client_events') + rows('network_flows') + rows('ip_assignments')).toBe(aggregated + tooLate)
    expect(rows('dead_letters')).toBe(tooLate + rejected)
    expect(await countRows(dataDir, 'dead_letters')).toBe(tooLate + rejected)
    expect(output).toContain(`npx pulse query --data-dir ${dataDir} "SELECT`)
  })

  it('stops within 3 s of Ctrl-C when nothing is pending, and says it is stopping', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-ctrl-c-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const running = spawnPulse(['run', '--data-dir', dataDir, '--client-rate', '0', '--flow-rate', '0', ...FREE_PORTS])
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })
    await pollUntil(() => Promise.resolve(running.output()), (text) => /\[\s+2s\] \| produced/.test(text), { what: 'the status line', timeoutMs: 90_000 })
    const interrupted = Date.now()
    running.child.kill('SIGINT')
    expect(await running.exited).toBe(0)
    expect(Date.now() - interrupted).toBeLessThan(3000)
    expect(running.output()).toMatch(/stopping… \(flushing \d+ rows; Ctrl-C again to abort\)/)
  })

  it('refuses a busy port before setting anything up, naming its flag', async () => {
    const busy = createServer()
    await new Promise<void>((listening) => busy.listen(0, '0.0.0.0', () => listening()))
    onTestFinished(() => {
      busy.close()
    })
    const port = String((busy.address() as AddressInfo).port)
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-busy-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    for (const flag of ['--metrics-port', '--kinesis-port']) {
      const ports = [...FREE_PORTS]
      ports[ports.indexOf(flag) + 1] = port
      const started = Date.now()
      const failure = await pulse(['run', '--data-dir', dataDir, ...ports]).then(
        () => undefined,
        (error: unknown) => error as { code: number; stderr: string },
      )
      expect(failure?.code, flag).toBe(2)
      expect(failure?.stderr.trim()).toBe(`pulse: port ${port} on ${flag === '--metrics-port' ? '127.0.0.1' : '0.0.0.0'} is in use: choose another with ${flag} (0 picks a free one)`)
      expect(Date.now() - started).toBeLessThan(10_000)
    }
  })

  it('rejects a bad setting with one line naming it', async () => {
    const failure = await pulse(['run', '--client-rate', 'lots']).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    )
    expect(failure?.code).toBe(2)
    expect(failure?.stderr.trim()).toBe('pulse: invalid setting producer.clientRate (--client-rate, PULSE_CLIENT_RATE): expected a number, got "lots" from --client-rate')
  })
})
