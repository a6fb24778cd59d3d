// The live status line of `pulse run`: one line a second with rates since the last line, so a person
// sees at a glance that traffic flows and how far behind the pipeline is. Numbers come from the
// same Prometheus registry SREs scrape, so the line and the dashboards cannot disagree.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Registry } from 'prom-client'

export interface Totals {
  produced: number
  processed: number
  rowsWritten: number
  deadLetters: number
  /** Client events dropped as repeats of an id already seen. */
  duplicates: number
  /** Events stored but past their window's allowed lateness: in the raw table and dead_letters, in no aggregate. */
  tooLate: number
  /** Records rejected (dead letters other than too_late): in no table but dead_letters. */
  rejected: number
  /** Largest MillisBehindLatest over the Kinesis shards. */
  behindMs: number
  /** Kafka consumer lag: records on this process's partitions not yet committed (absent: 0). */
  lagRecords?: number
  bufferedRows: number
}

export async function readTotals(registry: Registry, processed: number): Promise<Totals> {
  const metrics = await registry.getMetricsAsJSON()
  const values = (name: string): { value: number; labels: Record<string, string | number> }[] =>
    (metrics.find((metric) => metric.name === name)?.values ?? []) as { value: number; labels: Record<string, string | number> }[]
  const sum = (name: string, keep: (labels: Record<string, string | number>) => boolean = () => true): number =>
    values(name)
      .filter((value) => keep(value.labels))
      .reduce((total, value) => total + value.value, 0)
  return {
    produced: sum('pulse_produced_records_total'),
    processed,
    rowsWritten: sum('pulse_sink_rows_total', (labels) => labels.table !== 'checkpoints'),
    deadLetters: sum('pulse_dead_letters_total'),
    duplicates: sum('pulse_duplicate_events_total'),
    tooLate: sum('pulse_late_events_total', (labels) => labels.arrival === 'too_late'),
    rejected: sum('pulse_dead_letters_total', (labels) => labels.reason !== 'too_late'),
    behindMs: Math.max(0, ...values('pulse_kinesis_millis_behind_latest').map((value) => value.value)),
    lagRecords: sum('pulse_kafka_consumer_lag_records'),
    bufferedRows: sum('pulse_sink_buffered_rows'),
  }
}

/** Which role prints the line: a producer has no processing to show, a processor no production. */
export type StatusRole = 'run' | 'produce' | 'process'

/** Kinesis says how far behind in time a reader is; Kafka says how many records (its lag). */
export function formatStatus(elapsedSeconds: number, now: Totals, before: Totals, intervalSeconds: number, source: 'kinesis' | 'kafka' = 'kinesis', role: StatusRole = 'run'): string {
  const rate = (key: 'produced' | 'processed' | 'rowsWritten'): string => Math.round((now[key] - before[key]) / intervalSeconds).toLocaleString('en-US')
  const produced = role === 'process' ? [] : [`produced ${rate('produced')}/s`]
  const processing =
    role === 'produce'
      ? [`total ${now.produced.toLocaleString('en-US')} records`]
      : [
          `processed ${rate('processed')}/s`,
          `rows written ${rate('rowsWritten')}/s`,
          `dead letters ${now.deadLetters.toLocaleString('en-US')}`,
          source === 'kafka' ? `lag ${(now.lagRecords ?? 0).toLocaleString('en-US')} records` : `behind ${(now.behindMs / 1000).toFixed(1)}s`,
          `buffered ${now.bufferedRows.toLocaleString('en-US')} rows`,
        ]
  return [`[${elapsedSeconds.toFixed(0).padStart(4)}s]`, ...produced, ...processing].join(' | ')
}

export interface StatusLoop {
  registry: Registry
  out: NodeJS.WritableStream
  /** When the clock of the line starts (epoch ms). */
  start: number
  processed: () => number
  stopped: Promise<void>
  source: 'kinesis' | 'kafka'
  role: StatusRole
}

/** Prints a status line a second until `stopped` resolves. */
export async function printStatusUntilStopped(loop: StatusLoop): Promise<void> {
  let before = await readTotals(loop.registry, loop.processed())
  const stop = loop.stopped.then(() => 'stop' as const)
  for (;;) {
    const next = await Promise.race([sleep(1000).then(() => 'tick' as const), stop])
    if (next === 'stop') break
    const now = await readTotals(loop.registry, loop.processed())
    loop.out.write(`${formatStatus((Date.now() - loop.start) / 1000, now, before, 1, loop.source, loop.role)}\n`)
    before = now
  }
}
