// `pulse query` as an analyst meets it: a typo is one line naming the problem (the details with
// --verbose), and an empty result says "0 rows" instead of printing nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pulse } from '../helpers/cli.ts'

type Outcome = { code: number; stdout: string; stderr: string }

async function query(dataDir: string, ...args: string[]): Promise<Outcome> {
  return pulse(['query', '--data-dir', dataDir, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: unknown) => error as Outcome,
  )
}

describe('pulse query', () => {
  it('reports a bad query in one line, with details only when asked, and says when a result is empty', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-query-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))

    const typo = await query(dataDir, 'SELEC 1')
    expect(typo.code).toBe(1)
    expect(typo.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pulse: Syntax error/)])

    const verbose = await query(dataDir, '--verbose', 'SELEC 1')
    expect(verbose.code).toBe(1)
    expect(verbose.stderr.trim().split('\n').length).toBeGreaterThan(1)

    const empty = await query(dataDir, '--format', 'TSV', 'SELECT 1 WHERE 0')
    expect(empty).toMatchObject({ code: 0, stdout: '', stderr: '0 rows\n' })
    const one = await query(dataDir, '--format', 'TSV', 'SELECT 7')
    expect(one).toMatchObject({ code: 0, stdout: '7\n', stderr: '' })
  })
})
