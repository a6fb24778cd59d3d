// A running `pulse run` records where it serves the embedded engine in the data directory, so a
// `pulse query` on the same directory (which libchdb would refuse to open twice) asks it instead.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export interface RunFile {
  pid: number
  queryPort: number
  metricsPort: number
}

const NAME = 'pulse-run.json'

export function writeRunFile(dataDir: string, content: RunFile): () => void {
  const path = join(resolve(dataDir), NAME)
  writeFileSync(path, JSON.stringify(content))
  return () => rmSync(path, { force: true })
}

/** The live run serving this data directory, or undefined when none is running. */
export function findLiveRun(dataDir: string): RunFile | undefined {
  const path = join(resolve(dataDir), NAME)
  if (!existsSync(path)) return undefined
  const content = JSON.parse(readFileSync(path, 'utf8')) as RunFile
  return isAlive(content.pid) ? content : undefined
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'
  }
}
