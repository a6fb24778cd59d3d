// The processors' state read back from the tables the sink wrote: ip_assignments for the ownership
// history, client_events for a partition's dedup ids, A/B cells and open sessions, playback_sessions
// for the sessions already ended. Each event column is read as the row builder wrote it (the table
// definition in schemas/tables.ts and the latest client_event schema), times as epoch milliseconds
// and '' back to null where the schema allows null.
import type { ClickHouseClient } from '@clickhouse/client'
import avsc from 'avsc'
import type { ClientEventHistory, EndedSession, IngestedAssignment, StateStore, StoredClientEvent } from '../../pipeline/state.ts'
import { schemasOf } from '../../schemas/registry.ts'
import { columnsOf } from '../../schemas/tables.ts'
import type { ClientEvent, IpAssignment } from '../../schemas/types.ts'

type Values = Record<string, unknown>

type AssignmentRow = Omit<IpAssignment, 'effective_time'> & { effective_ms: string; ingest_ms: string }

const EVENT_COLUMNS = eventColumns()

/** Session ids per endedSessions query: 1,000 ids of ~40 characters keep its URL near 50 KiB, far below ClickHouse's 1 MiB http_max_uri_size. */
const ENDED_SESSIONS_PER_QUERY = 1_000

export class ClickHouseStateStore implements StateStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async assignmentsSince(sinceIngestMs: number): Promise<IngestedAssignment[]> {
    const result = await this.client.query({
      query: `SELECT change_id, cidr, action, app, cluster, region, toUnixTimestamp64Milli(effective_time) AS effective_ms,
                     toUnixTimestamp64Milli(ingest_time) AS ingest_ms
              FROM ${this.database}.ip_assignments
              WHERE ingest_time >= fromUnixTimestamp64Milli({since:Int64})
              ORDER BY effective_time`,
      query_params: { since: sinceIngestMs },
      format: 'JSONEachRow',
    })
    return (await result.json<AssignmentRow>()).map(({ effective_ms: effectiveMs, ingest_ms: ingestMs, ...rest }) => ({
      assignment: { ...rest, effective_time: Number(effectiveMs) },
      ingestTimeMs: Number(ingestMs),
    }))
  }

  /**
   * Streamed row by row: a busy partition's horizon is hundreds of thousands of events, which as one
   * parsed answer held the whole JSON text and every row object at once (a restoring member ran out
   * of heap); folded as they arrive, only the state they build stays.
   */
  async *clientEvents(history: ClientEventHistory): AsyncIterable<StoredClientEvent> {
    const { database } = this
    const recent = `source_partition = {partition:String} AND event_time >= fromUnixTimestamp64Milli({since:Int64})`
    // Recent events (dedup ids), plus the whole history of playbacks and app sessions still active
    // recently (open sessions and their A/B cells), up to the committed position, in stream order.
    const result = await this.client.query({
      query: `
        SELECT ${EVENT_COLUMNS.select}, source_position AS _position, count() OVER () AS _total
        FROM ${database}.client_events
        WHERE source_partition = {partition:String}
          AND (length(source_position), source_position) <= (length({position:String}), {position:String})
          AND arrival != 'too_late'
          AND (event_time >= fromUnixTimestamp64Milli({since:Int64})
               OR (playback_id != '' AND playback_id IN (SELECT playback_id FROM ${database}.client_events WHERE ${recent}))
               OR (event_type = 'ab_allocation' AND app_session_id IN (SELECT app_session_id FROM ${database}.client_events WHERE ${recent})))
        ORDER BY length(source_position), source_position, source_index`,
      query_params: { partition: history.partition, position: history.upTo, since: history.since },
      format: 'JSONEachRow',
    })
    let read = 0
    let total = 0
    for await (const rows of result.stream<Values>()) {
      for (const row of rows) {
        const values = row.json()
        // ClickHouse writes an error met mid-answer as a last row of its own (http_write_exception_in_output_format).
        const position = values._position
        if (typeof position !== 'string') throw new Error(`reading partition ${history.partition}'s history from ClickHouse failed after ${read} events: ${JSON.stringify(values).slice(0, 300)}`)
        read++
        total = Number(values._total)
        yield { event: EVENT_COLUMNS.toEvent(values), position }
      }
    }
    assertWholeAnswer(history.partition, read, total)
  }

  async endedSessions(ids: readonly string[]): Promise<EndedSession[]> {
    const ended: EndedSession[] = []
    // Query parameters travel in the URL: all of a partition's open sessions at once can pass the
    // server's URI limit (1 MiB in ClickHouse, ~25,000 ids), which resets the request on every retry,
    // so a restarted processor could never restore the partition. Asked in slices, it stays small.
    for (let start = 0; start < ids.length; start += ENDED_SESSIONS_PER_QUERY) {
      const result = await this.client.query({
        query: `SELECT session_id, toUnixTimestamp64Milli(end_time) AS end_ms FROM ${this.database}.playback_sessions FINAL WHERE ended = 1 AND session_id IN {ids:Array(String)}`,
        query_params: { ids: ids.slice(start, start + ENDED_SESSIONS_PER_QUERY) },
        format: 'JSONEachRow',
      })
      for (const row of await result.json<{ session_id: string; end_ms: string | number }>()) ended.push({ sessionId: row.session_id, endTime: Number(row.end_ms) })
    }
    return ended
  }
}

/**
 * A streamed answer can end early without an error (a chaos run rebuilt the same parent shard at the
 * same checkpoint once with 153,215 events and once, under load, with 130,818): a state folded from
 * part of the history would silently write sessions and minutes short. Every row carries the
 * answer's row count (count() OVER (), free beside the ORDER BY's sort), so a short read is refused
 * and the restore is retried.
 */
export function assertWholeAnswer(partition: string, read: number, total: number): void {
  if (read < total) throw new Error(`reading partition ${partition}'s history from ClickHouse ended after ${read} of ${total} events; the restore is retried`)
}

function eventColumns(): { select: string; toEvent: (row: Values) => ClientEvent } {
  const types = new Map(columnsOf('client_events'))
  const fields = schemasOf('client_event').latest.type.fields.map((field) => {
    const type = types.get(field.name)
    if (type === undefined) throw new Error(`client_event field ${field.name} has no column in client_events`)
    const nullable = avsc.Type.isType(field.type, 'union:unwrapped') && field.type.toString().includes('"null"')
    return { name: field.name, time: type.startsWith('DateTime64'), emptyIsNull: nullable && (type === 'String' || type === 'LowCardinality(String)') }
  })
  const select = fields.map(({ name, time, emptyIsNull }) => (time ? `toUnixTimestamp64Milli(${name}) AS ${name}` : emptyIsNull ? `nullIf(${name}, '') AS ${name}` : name)).join(', ')
  const toEvent = (row: Values): ClientEvent => {
    const event: Values = {}
    // A nullable time (received_at) stays null: Number(null) would make it 1970.
    for (const { name, time } of fields) event[name] = time && row[name] !== null ? Number(row[name]) : row[name]
    return event as unknown as ClientEvent
  }
  return { select, toEvent }
}
