// The emulator's state file after a hard kill: a whole copy is kept aside, and a file cut short is
// replaced by it at start, or set aside when there is no whole copy.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { keepLastGood, repairStateFile, STATE_FILE } from '../../../infra/kinesis/state-file.ts'

let dir = ''
afterEach(() => rmSync(dir, { recursive: true, force: true }))
const fresh = (): string => (dir = mkdtempSync(join(tmpdir(), 'pulse-state-')))

describe('kinesis state file', () => {
  it('leaves a whole file alone, and an absent one absent', () => {
    fresh()
    expect(repairStateFile(dir)).toBe('none')
    writeFileSync(join(dir, STATE_FILE), '{"streams":{}}')
    expect(repairStateFile(dir)).toBe('intact')
  })

  it('restores the last whole copy over a file cut short', () => {
    fresh()
    writeFileSync(join(dir, STATE_FILE), '{"streams":{"a":1}}')
    expect(keepLastGood(dir)).toBe(true)
    writeFileSync(join(dir, STATE_FILE), '{"streams":{"a":1,"b"')
    expect(keepLastGood(dir)).toBe(false)
    expect(repairStateFile(dir)).toBe('restored')
    expect(readFileSync(join(dir, STATE_FILE), 'utf8')).toBe('{"streams":{"a":1}}')
  })

  it('sets a damaged file aside when no whole copy exists', () => {
    fresh()
    writeFileSync(join(dir, STATE_FILE), '')
    expect(repairStateFile(dir)).toBe('discarded')
    expect(existsSync(join(dir, STATE_FILE))).toBe(false)
    expect(readdirSync(dir).some((name) => name.startsWith(`${STATE_FILE}.damaged-`))).toBe(true)
  })
})
