// kinesis-mock keeps its streams in one JSON file it rewrites whole every second; a hard kill in the
// middle of a write leaves it empty or cut short, and the emulator then refuses to start on that
// directory. So a copy of the last complete file is kept beside it, and at start a damaged file is
// replaced by that copy (the streams as of a few seconds earlier; rows ClickHouse acknowledged are
// in ClickHouse either way, and a replay from the checkpoints drops what it already holds).
import { copyFileSync, existsSync, openSync, readFileSync, readSync, renameSync, statSync, closeSync } from 'node:fs'
import { join } from 'node:path'

export const STATE_FILE = 'kinesis-data.json'
const BACKUP_FILE = `${STATE_FILE}.last-good`

function parses(path: string): boolean {
  try {
    JSON.parse(readFileSync(path, 'utf8'))
    return true
  } catch {
    return false
  }
}

/** Cheap check for the periodic copy: a whole file starts with `{` and ends with `}`. */
function looksWhole(path: string): boolean {
  const size = statSync(path).size
  if (size < 2) return false
  const fd = openSync(path, 'r')
  try {
    const ends = Buffer.alloc(1)
    readSync(fd, ends, 0, 1, 0)
    const first = ends.toString()
    readSync(fd, ends, 0, 1, size - 1)
    return first === '{' && ends.toString() === '}'
  } finally {
    closeSync(fd)
  }
}

export type Repair = 'intact' | 'none' | 'restored' | 'discarded'

/** Before the emulator starts: a damaged state file is replaced by the last good copy, or set aside. */
export function repairStateFile(dir: string): Repair {
  const file = join(dir, STATE_FILE)
  if (!existsSync(file)) return 'none'
  if (parses(file)) return 'intact'
  const backup = join(dir, BACKUP_FILE)
  if (existsSync(backup) && parses(backup)) {
    copyFileSync(backup, file)
    return 'restored'
  }
  renameSync(file, `${file}.damaged-${Date.now()}`)
  return 'discarded'
}

/** Copies the state file aside when it is whole; returns whether it did. */
export function keepLastGood(dir: string): boolean {
  const file = join(dir, STATE_FILE)
  if (!existsSync(file) || !looksWhole(file)) return false
  const temporary = join(dir, `${BACKUP_FILE}.tmp`)
  copyFileSync(file, temporary)
  // A rename is atomic: the copy is never seen half written, even if this process dies here.
  if (!looksWhole(temporary)) return false
  renameSync(temporary, join(dir, BACKUP_FILE))
  return true
}
