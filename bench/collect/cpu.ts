// CPU time a process has used, read from /proc (Linux): what tells a server's own cost per request
// apart from how much of the shared cores it was given, and whether it waited for the load generator
// (a server busy well under 100% of the wall time while requests queue was starved or left waiting).
import { readFileSync } from 'node:fs'

/** Linux reports utime and stime in USER_HZ ticks, 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

/** User plus system CPU seconds of `pid` so far, or undefined where /proc is not there. */
export function cpuSecondsOf(pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

/** This process's own user plus system CPU seconds (the load generator's, in the parent). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}
