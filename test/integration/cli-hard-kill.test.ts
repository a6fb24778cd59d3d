// The embedded default survives a hard kill of its own process: `pulse run` SIGKILLed mid-run leaves
// no emulator behind, and starts again on the same data directory with every row ClickHouse had
// acknowledged and its streams usable, even when the kill cut the emulator's state file short.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pulse, spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'

const FREE_PORTS = ['--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0']

async function countRows(dataDir: string): Promise<number> {
  const { stdout } = await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', 'SELECT count() FROM pulse.client_events'])
  return Number(stdout.trim())
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('pulse run killed with SIGKILL', () => {
  it('leaves no emulator behind and starts again on its data directory with its rows and streams', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-hard-kill-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const first = spawnPulse(['run', '--data-dir', dataDir, ...FREE_PORTS])
    onTestFinished(() => {
      first.child.kill('SIGKILL')
    })
    const state = join(dataDir, 'kinesis', 'kinesis-data.json')
    await pollUntil(() => countRows(dataDir).catch(() => 0), (n) => n > 0, { what: 'first rows', timeoutMs: 90_000 }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${first.output()}`)
    })
    await pollUntil(() => Promise.resolve(existsSync(`${state}.last-good`)), (kept) => kept, { what: 'a whole copy of the state file', timeoutMs: 30_000 })
    const emulator = Number(execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(first.child.pid)], { encoding: 'utf8' }).split('\n').find((line) => line.includes('kinesis-local'))?.trim().split(/\s+/)[0])
    expect(emulator).toBeGreaterThan(0)

    first.child.kill('SIGKILL')
    await first.exited
    // What the run had acknowledged, read from the directory itself now that nothing holds it.
    const acknowledged = await countRows(dataDir)
    await pollUntil(() => Promise.resolve(alive(emulator)), (up) => !up, { what: 'the orphaned emulator to exit', timeoutMs: 10_000 })
    // As if the kill had landed while the emulator rewrote its file.
    truncateSync(state, 0)

    const second = spawnPulse(['run', '--duration', '5', '--data-dir', dataDir, ...FREE_PORTS])
    onTestFinished(() => {
      second.child.kill('SIGKILL')
    })
    expect(await second.exited, second.output()).toBe(0)
    expect(second.output()).toContain('started from the last whole copy')
    expect(second.output()).toMatch(/produced [1-9][\d,]* records: /)
    expect(await countRows(dataDir), `acknowledged ${acknowledged}\n${second.output()}`).toBeGreaterThan(acknowledged)
  })
})
