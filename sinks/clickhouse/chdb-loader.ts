// chdb (an optional dependency) and its ~540 MB engine library are loaded at the first use of the
// embedded engine, never at start-up, so a role writing to a server runs where chdb is not installed
// (the image leaves it out). A require rather than `await import()`: chdb ships CommonJS, and it keeps
// the callers synchronous.
import { createRequire } from 'node:module'
import { ConfigError } from '../../runtime/errors.ts'

interface ChdbModules {
  chdb: typeof import('chdb')
  'chdb/connection': typeof import('chdb/connection')
}

export function loadChdb<M extends keyof ChdbModules>(module: M): ChdbModules[M] {
  try {
    return createRequire(import.meta.url)(module) as ChdbModules[M]
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code !== 'MODULE_NOT_FOUND' && code !== 'CHDB_PLATFORM') throw error
    throw new ConfigError(
      'the embedded ClickHouse engine needs the optional package chdb and its platform library, which this install ' +
        'left out (npm install --include=optional, or the image built with --build-arg PULSE_EMBEDDED=1); ' +
        'or give a server with --clickhouse URL',
    )
  }
}
