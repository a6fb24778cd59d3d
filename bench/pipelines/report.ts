// The table the benchmark prints and writes into BENCHMARKS.md (between its markers, so the rest of
// the file, e.g. the Kafka client section, stays as it is).
import type { ChildResult, ContenderName } from './types.ts'

export const LABELS: Record<ContenderName, string> = {
  pulse: 'Pulse (defaults: decode, validate, enrich, aggregate, sessions, sink)',
  'pulse-raw': 'Pulse, raw rows only (--no-derived: decode, validate, enrich, dedup, sink; no aggregates, sessions or care)',
  'pulse-server': 'Pulse → ClickHouse server (the same, writing over HTTP to the engine in another process; CPU: both processes)',
  baseline: 'naive baseline (kafkajs eachMessage, per-message decode, 1,000-row awaited inserts)',
  'kafka-engine': 'ClickHouse Kafka engine + materialized view (chDB 26.7, JSONEachRow topics)',
  ceiling: 'ceiling: same rows inserted from memory into chDB (no broker)',
}

const int = (value: number): string => Math.round(value).toLocaleString('en-US')
/** CPU seconds per million events, as every line prints it. */
const perMillion = (seconds: number, events: number): string => ((seconds / events) * 1e6).toFixed(1)
const ratio = (value: number, base: number | undefined): string => (base === undefined || base === 0 ? '' : `${(value / base).toFixed(2)}×`)

export function table(drains: readonly ChildResult[], paced: readonly ChildResult[]): string {
  const base = drains.find((result) => result.contender === 'baseline')
  const baseRate = base === undefined ? undefined : base.rows / base.seconds
  const baseCpu = base === undefined ? undefined : (base.cpuSeconds / base.rows) * 1e6
  const header = ['contender', 'events/s', 'vs baseline', 'CPU s / M events', 'vs baseline', 'peak RSS MiB', 'freshness p50 / p99 ms (paced)']
  const rows = drains.map((result) => {
    const rate = result.rows / result.seconds
    const cpu = ((result.cpuSeconds + (result.server?.cpuSeconds ?? 0)) / result.rows) * 1e6
    const fresh = paced.find((run) => run.contender === result.contender)?.freshness
    return [LABELS[result.contender], int(rate), ratio(rate, baseRate), cpu.toFixed(1), ratio(cpu, baseCpu), int(result.peakRssBytes / 2 ** 20), fresh === undefined ? '–' : `${int(fresh.p50)} / ${int(fresh.p99)}`]
  })
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** Pulse → server: the processor's and the server's shares of CPU and memory, apart. */
export function serverLine(drains: readonly ChildResult[]): string {
  const run = drains.find((result) => result.server !== undefined)
  if (run?.server === undefined) return ''
  return `Pulse → server, apart: the Pulse process ${perMillion(run.cpuSeconds, run.rows)} CPU s / M events (peak RSS ${int(run.peakRssBytes / 2 ** 20)} MiB), the server process ${perMillion(run.server.cpuSeconds, run.rows)} (peak RSS ${int(run.server.peakRssBytes / 2 ** 20)} MiB).`
}

export function decodeLine(drains: readonly ChildResult[]): string {
  const rates = drains.find((result) => result.decode !== undefined)?.decode
  if (rates === undefined) return ''
  return `Decode on one core (client events): Avro via the codec ${int(rates.avro)}/s, JSON.parse alone ${int(rates.jsonParse)}/s, JSON via the codec (parse + schema check) ${int(rates.jsonCodec)}/s.`
}

/** Rows written per input event (client events and flows), all tables together, raw rows included. */
export function rowsLine(drains: readonly ChildResult[]): string {
  return drains
    .filter((result) => result.rowsWritten !== undefined)
    .map((result) => {
      const byTable = Object.entries(result.rowsWritten ?? {}).sort(([a], [b]) => a.localeCompare(b))
      const total = byTable.reduce((sum, [, rows]) => sum + rows, 0)
      const parts = byTable.map(([table, rows]) => `${table} ${(rows / result.rows).toFixed(3)}`).join(', ')
      return `Rows written per input event (${result.contender}, all tables, raw included): ${(total / result.rows).toFixed(3)} (${int(total)} rows for ${int(result.rows)} events; ${parts}).`
    })
    .join('\n')
}

/** Where each contender's CPU went during its drain, by kind of thread, per million events. */
export function threadsLine(drains: readonly ChildResult[]): string {
  return drains
    .filter((result) => result.threads !== undefined && Object.keys(result.threads).length > 0)
    .map((result) => {
      const byKind = Object.entries(result.threads ?? {}).sort(([, a], [, b]) => b - a)
      const parts = byKind.map(([kind, seconds]) => `${kind} ${perMillion(seconds, result.rows)}`).join(', ')
      return `CPU s / M events by thread (${result.contender}, drain): ${parts}.`
    })
    .join('\n')
}

export function pacedLine(paced: readonly ChildResult[], rate: number): string {
  if (paced.length === 0) return ''
  // CPU per event at a steady rate: what an insert cadence costs when the sink is not the bottleneck.
  const parts = paced.map((run) => `${run.contender} ${int(run.rows)} rows, p50 ${int(run.freshness?.p50 ?? Number.NaN)} ms, p99 ${int(run.freshness?.p99 ?? Number.NaN)} ms, ${perMillion(run.cpuSeconds, run.rows)} CPU s / M events`)
  return `Paced run: client events at ${int(rate)}/s (half of Pulse's drain rate): ${parts.join('; ')}.`
}
