// Child output goes to files under the run directory (never to a pipe nobody reads, which would
// block the child once full): one file per child start, named so a stalled run can be read after.
import { openSync } from 'node:fs'
import { join } from 'node:path'

let sequence = 0

/** An append-mode file descriptor for a child's stdout and stderr, and the file's path. */
export function logFile(runDir: string, name: string): { fd: number; path: string } {
  sequence++
  const path = join(runDir, `${String(sequence).padStart(3, '0')}-${name}.log`)
  return { fd: openSync(path, 'a'), path }
}
