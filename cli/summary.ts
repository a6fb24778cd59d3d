// The closing summary of `pulse run`: what happened to every record, in numbers that add up
// (produced = aggregated + too late + duplicates + rejected + left on the stream), the rows this run
// left in each raw table as count() shows them, and how to query the run's own data directory.
import type { ClickHouseClient } from '@clickhouse/client'
import type { Totals } from './status.ts'

export interface RunOutcome {
  produced: number
  /** Stored and counted in the aggregates (on time, or late within the allowed lateness). */
  aggregated: number
  tooLate: number
  duplicates: number
  rejected: number
  /** Produced but not processed before the run stopped (read by the next run). */
  unprocessed: number
}

export function outcomeOf(totals: Totals): RunOutcome {
  const stored = totals.processed - totals.duplicates - totals.rejected
  return {
    produced: totals.produced,
    aggregated: stored - totals.tooLate,
    tooLate: totals.tooLate,
    duplicates: totals.duplicates,
    rejected: totals.rejected,
    unprocessed: Math.max(0, totals.produced - totals.processed),
  }
}

const RAW_TABLES = [
  ['client_events', 'ingest_time'],
  ['network_flows', 'ingest_time'],
  ['ip_assignments', 'ingest_time'],
  ['dead_letters', 'received_time'],
] as const

/** Rows each raw table received since `sinceMs` (this run's), as count() shows them. */
export async function rawRowsSince(client: ClickHouseClient, database: string, sinceMs: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const [table, column] of RAW_TABLES) {
    const result = await client.query({
      query: `SELECT count() AS rows FROM ${database}.${table} WHERE ${column} >= fromUnixTimestamp64Milli({since:Int64})`,
      query_params: { since: sinceMs },
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ rows: string }>()
    counts.set(table, Number(row?.rows ?? 0))
  }
  return counts
}

const n = (value: number): string => value.toLocaleString('en-US')

export function formatSummary(outcome: RunOutcome, seconds: number, rows: ReadonlyMap<string, number>, hint: { database: string; dataDir: string | undefined }): string {
  const parts = [
    `${n(outcome.aggregated)} stored and aggregated`,
    `${n(outcome.tooLate)} stored too late for the aggregates`,
    `${n(outcome.duplicates)} duplicate ids dropped`,
    `${n(outcome.rejected)} rejected to dead_letters`,
    ...(outcome.unprocessed > 0 ? [`${n(outcome.unprocessed)} left on the stream for the next run`] : []),
  ]
  const tables = [...rows].map(([table, count]) => `${table} ${n(count)}`).join(', ')
  const where = hint.dataDir === undefined ? '' : ` --data-dir ${hint.dataDir}`
  return [
    '',
    `Pulse ran ${seconds.toFixed(1)} s: produced ${n(outcome.produced)} records: ${parts.join(', ')}.`,
    `Rows this run wrote to the raw tables: ${tables}. (The per-minute and session tables fold partial rows as ClickHouse merges them, so their count() shrinks; sum their measures instead.)`,
    `Try: npx pulse query${where} "SELECT event_type, count() FROM ${hint.database}.client_events GROUP BY event_type ORDER BY 2 DESC"`,
    '',
  ].join('\n')
}

/** `pulse process` knows what it read, not what was produced: the same outcomes, of what it processed. */
export function processSummary(outcome: RunOutcome, seconds: number): string {
  const processed = outcome.aggregated + outcome.tooLate + outcome.duplicates + outcome.rejected
  const parts = [
    `${n(outcome.aggregated)} stored and aggregated`,
    `${n(outcome.tooLate)} stored too late for the aggregates`,
    `${n(outcome.duplicates)} duplicate ids dropped`,
    `${n(outcome.rejected)} rejected to dead_letters`,
  ]
  return `\nProcessed ${n(processed)} records in ${seconds.toFixed(1)} s: ${parts.join(', ')}.\n`
}
