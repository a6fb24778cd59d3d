// The front door, as the README promises it: `pulse run` on the embedded default for 20 seconds
// leaves queryable data, `pulse query` reads it while the run is live (counts grow) and after it.
import { mkdtempSync, rmSync } from 'node:fs'
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

  it('rejects a bad setting with one line naming it', async () => {
    const failure = await pulse(['run', '--client-rate', 'lots']).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    )
    expect(failure?.code).toBe(2)
    expect(failure?.stderr.trim()).toBe('pulse: invalid setting producer.clientRate (--client-rate, PULSE_CLIENT_RATE): expected a number, got "lots" from --client-rate')
  })
})
