// A fatal error ends the run: when the Kinesis emulator that `pulse run` started dies under it, the
// run stops within seconds with a non-zero exit and one line saying what happened, instead of
// retrying a dead endpoint for ever while it looks alive.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'

/** The pid of the emulator among the run's child processes, once it serves. */
function emulatorPid(parent: number): number | undefined {
  const listing = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' })
  const line = listing
    .split('\n')
    .find((entry) => entry.includes('kinesis-local'))
  return line === undefined ? undefined : Number(line.trim().split(/\s+/)[0])
}

describe('pulse run when its Kinesis emulator dies', () => {
  it('exits non-zero within 10 s with one line naming the emulator', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-emulator-crash-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const running = spawnPulse(['run', '--data-dir', dataDir, '--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0'])
    onTestFinished(() => {
      running.child.kill('SIGKILL')
    })
    const parent = running.child.pid ?? 0
    // Traffic flowing: the status line reports processed records.
    await pollUntil(() => Promise.resolve(running.output()), (text) => /processed [1-9][\d,]*\/s/.test(text), { what: 'traffic flowing', timeoutMs: 90_000 })
    const pid = emulatorPid(parent)
    expect(pid).toBeGreaterThan(0)
    process.kill(pid ?? 0, 'SIGKILL')
    const killedAt = Date.now()

    const code = await Promise.race([running.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))])
    expect(code).not.toBe('hung')
    expect(code).not.toBe(0)
    expect(Date.now() - killedAt).toBeLessThan(10_000)
    const lastLines = running.output().trim().split('\n').filter((line) => line.startsWith('pulse: '))
    expect(lastLines).toEqual([expect.stringMatching(/^pulse: Kinesis emulator exited unexpectedly \(SIGKILL\)/)])
  })
})
