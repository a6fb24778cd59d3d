// `pulse bench`: the same run as `npm run bench` (bench/index.ts, BENCHMARKS.md), from a clone of the
// repository. It runs in a child process of its own: the benchmark parses its own flags, starts a
// broker and children, and must not share this process's libchdb.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const BENCH = fileURLToPath(new URL('../bench/index.ts', import.meta.url))

export async function runBench(args: readonly string[]): Promise<number> {
  if (!existsSync(BENCH)) {
    process.stderr.write('pulse: the benchmark ships with the repository, not the image; run it from a clone\n')
    return 2
  }
  const child = spawn(process.execPath, ['--import', 'tsx', BENCH, ...args], { stdio: 'inherit' })
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  return code ?? (signal === null ? 1 : 128)
}
