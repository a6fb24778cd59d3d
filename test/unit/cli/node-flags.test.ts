// Every way Pulse is started runs it with its V8 flags (runtime/node-flags.ts): the bin's shebang,
// the npm scripts and the image's entrypoint.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { PULSE_NODE_FLAGS } from '../../../runtime/node-flags.ts'

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

describe("Pulse's V8 flags", () => {
  it('are in the shebang of bin/pulse.js, run through env -S', () => {
    const shebang = read('bin/pulse.js').split('\n')[0] ?? ''
    expect(shebang).toBe(`#!/usr/bin/env -S node ${PULSE_NODE_FLAGS.join(' ')}`)
  })

  it('are given to node by the npm scripts that start Pulse', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
    for (const name of ['start', 'pulse']) expect(scripts[name]).toMatch(new RegExp(`^node ${PULSE_NODE_FLAGS.join(' ')} bin/pulse\\.js`))
  })

  it("are in the image's entrypoint", () => {
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(read('infra/docker/Dockerfile'))?.[1] ?? ''
    expect(JSON.parse(entrypoint)).toEqual(['node', ...PULSE_NODE_FLAGS, 'dist/cli/pulse.js'])
  })
})
