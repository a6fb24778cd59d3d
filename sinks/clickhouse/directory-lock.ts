// libchdb lets one process at a time open a data directory. The other openers of a directory are
// short-lived (a `pulse query` started a moment before `pulse run` wrote its run file, another
// role's migrate), so a process that finds it taken waits for it rather than failing at once.
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError } from '../../runtime/errors.ts'

const RETRY_EVERY_MS = 250

/** True for chdb's refusal to open a directory another process holds (its status-file lock). */
export function isDirectoryTaken(error: unknown): boolean {
  const text = error instanceof Error ? `${error.message} ${String(error.cause)}` : String(error)
  return /Cannot lock file|Failed to create connection/.test(text)
}

/** Runs `open` until the directory is free or `waitMs` passes, then fails with one clear line. */
export async function openWhenFree<T>(dataDir: string, open: () => T | Promise<T>, waitMs = 20_000): Promise<T> {
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      return await open()
    } catch (error) {
      if (!isDirectoryTaken(error)) throw error
      if (Date.now() > deadline) {
        throw new ConfigError(`the data directory ${dataDir} is held by another process (another pulse run, or a pulse query opened on it) for over ${Math.round(waitMs / 1000)} s`)
      }
      await sleep(RETRY_EVERY_MS)
    }
  }
}
