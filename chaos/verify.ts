// What a scenario is judged by, read from ClickHouse. Client events are identified by event_id (the
// generator makes every id unique); flows have no id, so by their stream record (source_partition,
// source_position, source_index): one produced record is one row. The scenario's database is its own
// and its topics or streams hold only the workload, so every row there came from the produced set and
// "lost" is produced − uniqExact.
import type { ClickHouseClient } from '@clickhouse/client'

export interface TableCounts {
  rows: number
  unique: number
}

export interface Verdict {
  events: TableCounts
  flows: TableCounts
  deadLetters: number
}

async function one(client: ClickHouseClient, query: string): Promise<TableCounts> {
  const result = await client.query({ query, format: 'JSONEachRow' })
  const [row] = await result.json<{ rows: string; unique: string }>()
  return { rows: Number(row?.rows ?? 0), unique: Number(row?.unique ?? 0) }
}

export async function readCounts(client: ClickHouseClient, database: string): Promise<Verdict> {
  const events = await one(client, `SELECT count() AS rows, uniqExact(event_id) AS unique FROM ${database}.client_events`)
  const flows = await one(client, `SELECT count() AS rows, uniqExact(source_partition, source_position, source_index) AS unique FROM ${database}.network_flows`)
  const dead = await one(client, `SELECT count() AS rows, 0 AS unique FROM ${database}.dead_letters`)
  return { events, flows, deadLetters: dead.rows }
}

/**
 * Rows visible so far (both tables), or undefined while ClickHouse or the tables are not there.
 * A bare count() by default: ClickHouse answers it from its parts' metadata, where a distinct count
 * read a million ids twice a second per lane (about a third of the machine near the end of each
 * drain). With dedup tokens a replayed block adds no rows, so a group replaying in a loop still
 * looks stalled, and duplicates that do land are caught by the exact counts of the verdict
 * (readCounts), which the drain waits for before it ends. Without tokens (the negative control)
 * replays grow count() forever: there `distinct` counts ids instead.
 */
export async function progressCount(client: ClickHouseClient, database: string, distinct: boolean): Promise<number | undefined> {
  const [events, flows] = distinct ? ['uniqExact(event_id)', 'uniqExact(source_partition, source_position, source_index)'] : ['count()', 'count()']
  try {
    const result = await client.query({
      query: `SELECT (SELECT ${events} FROM ${database}.client_events) + (SELECT ${flows} FROM ${database}.network_flows) AS n`,
      format: 'JSONEachRow',
    })
    const [row] = await result.json<{ n: string }>()
    return Number(row?.n ?? 0)
  } catch {
    return undefined
  }
}

export function lost(verdict: Verdict, events: number, flows: number): number {
  return events - verdict.events.unique + (flows - verdict.flows.unique)
}

export function duplicated(verdict: Verdict): number {
  return verdict.events.rows - verdict.events.unique + (verdict.flows.rows - verdict.flows.unique)
}
