// `npm run schema-registry:build` (CI's install step: builds once, then only checks the cache), or
// `npx tsx infra/schema-registry/cli.ts run [--port N] [--data-dir DIR]` for a registry in the
// foreground until Ctrl-C. Progress goes to stderr; stdout carries only what a person wants to copy.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ensureSchemaRegistry } from './build.ts'
import { startSchemaRegistry } from './registry.ts'
import { parsePort, runCli } from '../cli-main.ts'

const USAGE = 'usage: tsx infra/schema-registry/cli.ts build | run [--port N] [--data-dir DIR]'

const log = (line: string): void => {
  console.error(line)
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { port: { type: 'string' }, 'data-dir': { type: 'string' } } })
  switch (positionals[0]) {
    case 'build':
      console.log((await ensureSchemaRegistry({ log })).runner)
      return 0
    case 'run':
      return run(parsePort('--port', values.port, true) ?? 0, values['data-dir'] ?? (await mkdtemp(path.join(tmpdir(), 'pulse-registry-'))))
    default:
      console.error(USAGE)
      return 1
  }
}

async function run(port: number, dataDir: string): Promise<number> {
  const started = Date.now()
  const registry = await startSchemaRegistry({ port, dataDir, log })
  console.log(`Apicurio Registry ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${registry.url} (log: ${registry.logFile})`)
  console.log(`  point Pulse at it: --schema-registry-url ${registry.url}`)
  await new Promise<void>((resolve) => process.once('SIGINT', resolve))
  await registry.stop()
  return 0
}

runCli(main)
