// What the benchmark and the chaos harness both write into their markdown reports: the machine a
// figure was measured on, and the replacement of a report's section between its markers (so the rest
// of the file, written by hand, stays as it is).
import { readFile, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'

/** CPUs, memory, Node and the load average: other work on a 2-core machine skews every figure. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown'
  const load = loadavg().map((value) => value.toFixed(2)).join(' ')
  return `${cpus().length} CPUs (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, load average at start ${load}`
}

/** Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` (appends it with them the first time). */
export async function writeSection(path: string, name: string, body: string): Promise<void> {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const current = await readFile(path, 'utf8')
  const section = `${start}\n${body.trim()}\n${end}`
  const from = current.indexOf(start)
  const to = current.indexOf(end)
  const next = from !== -1 && to > from ? `${current.slice(0, from)}${section}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${section}\n`
  await writeFile(path, next)
}
