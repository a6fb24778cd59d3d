// `npx tsx bench/dedup-cost.ts [ids] [events-per-second]`: the CPU one partition's duplicate check
// costs at a steady pace of event time. Ids are random UUIDs (what producers send), one every
// 1000 / events-per-second ms of event time, against the default 10-minute horizon, so the window
// fills and then sweeps as it goes; best of three rounds. Defaults: 1,250,000 ids at 250 events/s,
// one partition's share of the bench's 5,000,000-event workload (1,000 events/s over 4 partitions).
import { randomUUID } from 'node:crypto'
import { DedupWindow } from '../processors/event-time/dedup.ts'

const count = Number(process.argv[2] ?? 1_250_000)
const perSecond = Number(process.argv[3] ?? 250)
const HORIZON_MS = 600_000
const ids = Array.from({ length: count }, () => randomUUID())
const gapMs = 1000 / perSecond
let best = Number.POSITIVE_INFINITY
for (let round = 0; round < 3; round++) {
  const window = new DedupWindow(HORIZON_MS)
  const t0 = Date.UTC(2026, 11, 1)
  const before = process.cpuUsage()
  for (let i = 0; i < ids.length; i++) {
    const now = t0 + i * gapMs
    window.isDuplicate(ids[i] as string, now, now)
  }
  const used = process.cpuUsage(before)
  best = Math.min(best, (used.user + used.system) / 1000)
}
console.log(`${count.toLocaleString('en')} ids at ${perSecond} events/s of event time, 10-minute horizon: ${best.toFixed(0)} CPU ms (best of 3), ${((best * 1000) / count).toFixed(2)} µs per id`)
