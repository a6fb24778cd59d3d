// Summarises a V8 .cpuprofile (`node --cpu-prof`): the functions with the most self time, and the
// share of the profile each takes. `npx tsx bench/profile-top.ts FILE.cpuprofile [N]`
import { readFile } from 'node:fs/promises'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export function topSelfTime(profile: CpuProfile, count: number): { name: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const totals = new Map<string, number>()
  let all = 0
  profile.samples.forEach((id, index) => {
    const node = byId.get(id)
    const delta = profile.timeDeltas[index] ?? 0
    all += delta
    if (node === undefined) return
    const { functionName, url, lineNumber } = node.callFrame
    // Paths shortened to the package or project file, so the same function reads the same in any checkout.
    const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/main\//, '')
    const name = `${functionName || '(anonymous)'} ${where === '' ? '' : `${where}:${lineNumber + 1}`}`.trim()
    totals.set(name, (totals.get(name) ?? 0) + delta)
  })
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, ms: micros / 1000, share: micros / all }))
}

async function main(): Promise<void> {
  const [file, count] = process.argv.slice(2)
  if (file === undefined) throw new Error('usage: tsx bench/profile-top.ts FILE.cpuprofile [N]')
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  for (const row of topSelfTime(profile, Number(count ?? 25))) {
    process.stdout.write(`${(row.share * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(7)} ms  ${row.name}\n`)
  }
}

await main()
