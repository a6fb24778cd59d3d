// A `pulse query` started a moment before `pulse run` opens the data directory first (it sees no run
// file yet), and libchdb lets one process hold a directory: the run waits for it instead of dying,
// and its engine still gets the users and roles of its query interface.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pulse, spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'

const FREE_PORTS = ['--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0']
const CHDB = createRequire(import.meta.url).resolve('chdb')

/** A process holding the directory for holdMs, as a direct `pulse query` does; resolves once it holds it. */
async function holdDirectory(dataDir: string, holdMs: number): Promise<{ released: Promise<void> }> {
  const script = `const { Session } = require(${JSON.stringify(CHDB)}); const s = new Session(${JSON.stringify(dataDir)}); s.query('SELECT 1'); console.log('held'); setTimeout(() => { s.close(); process.exit(0) }, ${holdMs})`
  const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  onTestFinished(() => {
    holder.kill('SIGKILL')
  })
  const released = new Promise<void>((resolve) => holder.once('exit', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('held')) resolve()
    })
    holder.once('exit', (code) => reject(new Error(`the holder exited (${String(code)}) before holding the directory`)))
  })
  return { released }
}

describe('pulse run on a data directory another process holds', () => {
  it('waits for it, then runs with the roles of its query interface', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-held-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const { released } = await holdDirectory(dataDir, 3_000)
    const run = spawnPulse(['run', '--duration', '10', '--data-dir', dataDir, ...FREE_PORTS])
    onTestFinished(() => {
      run.child.kill('SIGKILL')
    })
    let releasedAt = 0
    void released.then(() => (releasedAt = Date.now()))
    // Asked through the run's query interface: the role is there only if the engine read the access
    // configuration despite its first, refused attempt at the directory.
    const roles = await pollUntil(
      () => pulse(['query', '--data-dir', dataDir, '--format', 'TSV', 'SELECT currentRoles()']).then(({ stdout }) => stdout, () => ''),
      (out) => out !== '',
      { what: 'the run to answer queries', timeoutMs: 60_000 },
    )
    expect(roles).toContain('pulse_analyst')
    expect(await run.exited, run.output()).toBe(0)
    expect(releasedAt, 'the run ended before the holder let go').toBeGreaterThan(0)
    expect(run.output()).toMatch(/produced [1-9][\d,]* records: /)
  })
})
