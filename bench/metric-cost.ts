// `npx tsx bench/metric-cost.ts [calls]`: what one metric update costs on the hot path, side by side:
// prom-client's labelled counter `inc`, a labelled child's `inc`, a labelled histogram `observe`, and
// Pulse's own stage counter (processors/metrics.ts), which tallies in plain numbers and hands the
// counter its totals when read. Why the stage counters tally, and what the per-row freshness
// `observe` costs: ns per call, best of three loops.
import { performance } from 'node:perf_hooks'
import { Counter, Histogram, Registry } from 'prom-client'
import { createProcessorMetrics } from '../processors/metrics.ts'

const calls = Number(process.argv[2] ?? 5_000_000)
const registry = new Registry()
const counter = new Counter({ name: 'bench_counter_total', help: 'bench', labelNames: ['stage', 'kind'], registers: [registry] })
const child = counter.labels({ stage: 'decode', kind: 'client_event' })
const histogram = new Histogram({ name: 'bench_seconds', help: 'bench', labelNames: ['table'], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] })
const stages = createProcessorMetrics(registry).stageIn
const labels = { stage: 'decode', kind: 'client_event' }

const cases: [string, (i: number) => void][] = [
  ['prom-client Counter.inc(labels)', () => counter.inc(labels)],
  ['prom-client labelled child .inc()', () => child.inc()],
  ['prom-client Histogram.observe(labels, value)', (i) => histogram.observe({ table: 'client_events' }, (i % 1000) / 400)],
  ["Pulse's stage counter .inc(labels)", () => stages.inc(labels)],
]

for (const [name, update] of cases) {
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < 3; round++) {
    const start = performance.now()
    for (let i = 0; i < calls; i++) update(i)
    best = Math.min(best, performance.now() - start)
  }
  console.log(`${name.padEnd(46)} ${((best * 1e6) / calls).toFixed(0).padStart(5)} ns per call`)
}
// The tallies reach the counter when it is read, as a scrape would read it.
const read = await registry.getSingleMetricAsString('pulse_stage_records_in_total')
if (!read.includes(`${3 * calls}`)) throw new Error(`the stage counter lost updates: ${read}`)
