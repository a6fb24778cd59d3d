// The bench and the chaos harness rewrite only their own section of a hand-written markdown file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeSection } from '../../../infra/report-section.ts'

let dir = ''
beforeEach(async () => (dir = await mkdtemp(path.join(tmpdir(), 'pulse-report-'))))
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('writeSection', () => {
  it('appends the section with its markers the first time, then replaces only what is between them', async () => {
    const file = path.join(dir, 'REPORT.md')
    await writeFile(file, '# Report\n\nBy hand.\n')
    await writeSection(file, 'chaos', 'first run')
    expect(await readFile(file, 'utf8')).toBe('# Report\n\nBy hand.\n\n<!-- chaos:start -->\nfirst run\n<!-- chaos:end -->\n')
    await writeFile(file, `${await readFile(file, 'utf8')}\nAfter, by hand.\n`)
    await writeSection(file, 'chaos', '\nsecond run\n')
    await writeSection(file, 'bench', 'other')
    const text = await readFile(file, 'utf8')
    expect(text).toContain('<!-- chaos:start -->\nsecond run\n<!-- chaos:end -->\n\nAfter, by hand.\n')
    expect(text).not.toContain('first run')
    expect(text.startsWith('# Report\n\nBy hand.\n')).toBe(true)
    expect(text.endsWith('<!-- bench:start -->\nother\n<!-- bench:end -->\n')).toBe(true)
  })
})
