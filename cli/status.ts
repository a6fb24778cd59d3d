// The live status line of `pulse run`: one line a second with rates since the last line, so a person
// sees at a glance that traffic flows and how far behind the pipeline is. Numbers come from the
// same Prometheus registry SREs scrape, so the line and the dashboards cannot disagree.
import type { Registry } from 'prom-client'

export interface Totals {
  produced: number
  processed: number
  rowsWritten: number
  deadLetters: number
  /** Largest MillisBehindLatest over the shards, or Kafka lag in records. */
  behindMs: number
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
    behindMs: Math.max(0, ...values('pulse_kinesis_millis_behind_latest').map((value) => value.value)),
    bufferedRows: sum('pulse_sink_buffered_rows'),
  }
}

export function formatStatus(elapsedSeconds: number, now: Totals, before: Totals, intervalSeconds: number): string {
  const rate = (key: 'produced' | 'processed' | 'rowsWritten'): string => Math.round((now[key] - before[key]) / intervalSeconds).toLocaleString('en-US')
  return [
    `[${elapsedSeconds.toFixed(0).padStart(4)}s]`,
    `produced ${rate('produced')}/s`,
    `processed ${rate('processed')}/s`,
    `rows written ${rate('rowsWritten')}/s`,
    `dead letters ${now.deadLetters.toLocaleString('en-US')}`,
    `behind ${(now.behindMs / 1000).toFixed(1)}s`,
    `buffered ${now.bufferedRows.toLocaleString('en-US')} rows`,
  ].join(' | ')
}
