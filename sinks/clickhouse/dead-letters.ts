// The queries behind `pulse dead-letters`: a summary by stage and reason, the rows a replay selects,
// and the marks a replay leaves. A dead letter's id is a hash of what identifies it (stage, stream,
// partition, position and its bytes), computed by ClickHouse the same way in every query, so no
// column had to be added to rows already written.
import type { ClickHouseClient } from '@clickhouse/client'

const ID = 'lower(hex(cityHash64(stage, stream, partition, position, raw_base64)))'

export interface DeadLetterSummary {
  stage: string
  reason: string
  dead_letters: number
  replayed: number
  first: string
  last: string
}

export interface ReplayFilter {
  sinceSeconds: number
  stage?: string | undefined
  reason?: string | undefined
  ids: readonly string[]
  /** Select rows already replayed too (they are skipped by default: that is what keeps a replay idempotent). */
  again: boolean
}

export interface ReplayCandidate {
  id: string
  kind: string
  stream: string
  raw_base64: string
}

const replayCounts = (database: string): string => `(SELECT id, count() AS replays FROM ${database}.dead_letter_replays GROUP BY id)`

export async function summarise(client: ClickHouseClient, database: string, sinceSeconds: number): Promise<DeadLetterSummary[]> {
  const result = await client.query({
    query: `SELECT stage, reason, count() AS dead_letters, countIf(r.replays > 0) AS replayed, toString(min(received_time)) AS first, toString(max(received_time)) AS last
      FROM ${database}.dead_letters AS d LEFT JOIN ${replayCounts(database)} AS r ON r.id = ${ID}
      WHERE received_time >= now64(3) - toIntervalSecond({since:UInt32})
      GROUP BY stage, reason ORDER BY dead_letters DESC, stage, reason`,
    query_params: { since: sinceSeconds },
    format: 'JSONEachRow',
  })
  // UInt64 counts arrive as JSON strings (output_format_json_quote_64bit_integers).
  type Raw = Omit<DeadLetterSummary, 'dead_letters' | 'replayed'> & { dead_letters: string | number; replayed: string | number }
  return (await result.json<Raw>()).map((row) => ({ ...row, dead_letters: Number(row.dead_letters), replayed: Number(row.replayed) }))
}

export async function selectForReplay(client: ClickHouseClient, database: string, filter: ReplayFilter): Promise<ReplayCandidate[]> {
  const conditions = ['received_time >= now64(3) - toIntervalSecond({since:UInt32})']
  if (filter.stage !== undefined) conditions.push('stage = {stage:String}')
  if (filter.reason !== undefined) conditions.push('reason = {reason:String}')
  if (filter.ids.length > 0) conditions.push(`${ID} IN {ids:Array(String)}`)
  if (!filter.again) conditions.push(`${ID} NOT IN (SELECT id FROM ${database}.dead_letter_replays)`)
  const result = await client.query({
    query: `SELECT ${ID} AS id, kind, stream, raw_base64 FROM ${database}.dead_letters WHERE ${conditions.join(' AND ')} ORDER BY received_time, position`,
    query_params: { since: filter.sinceSeconds, stage: filter.stage ?? '', reason: filter.reason ?? '', ids: [...filter.ids] },
    format: 'JSONEachRow',
  })
  return result.json<ReplayCandidate>()
}

export async function markReplayed(client: ClickHouseClient, database: string, marks: readonly { id: string; stream: string }[], nowMs: number): Promise<void> {
  if (marks.length === 0) return
  await client.insert({
    table: `${database}.dead_letter_replays`,
    // An ISO-like text with milliseconds: read the same by every server version's DateTime64 parser.
    values: marks.map((mark) => ({ id: mark.id, replayed_at: new Date(nowMs).toISOString().replace('T', ' ').replace('Z', ''), target_stream: mark.stream })),
    format: 'JSONEachRow',
  })
}
