// Rebuilds a partition's client-event state when it is assigned, from what ClickHouse already holds
// up to the committed position: the raw rows are the changelog. The watermark comes from the
// checkpoint; the ids within the dedup horizon, the app sessions' A/B cells and the open (and
// recently ended) playback sessions come from client_events. Rows past the committed position (a
// block that landed before a crash) are left out: the replay of that block applies them again.
// Events are folded in stream order: by position, then by place within an aggregated record
// (source_index), as the first pass saw them.
import type { ClickHouseClient } from '@clickhouse/client'
import type { ClientEvent } from '../schemas/types.ts'
import type { Checkpoint } from '../sinks/clickhouse/checkpoint-store.ts'
import type { ClientPartition } from './client-partition.ts'

export interface PartitionState {
  highestEventTime: number
}

export function decodeState(text: string): PartitionState | undefined {
  if (text === '') return undefined
  // -Infinity (a partition with no event yet) serialises as null.
  const parsed = JSON.parse(text) as { highestEventTime?: unknown }
  return typeof parsed.highestEventTime === 'number' ? { highestEventTime: parsed.highestEventTime } : undefined
}

type EventRow = Omit<ClientEvent, 'event_time' | 'client_send_time'> & { event_ms: string; send_ms: string }

const COLUMNS = `event_id, event_type, toUnixTimestamp64Milli(event_time) AS event_ms, toUnixTimestamp64Milli(client_send_time) AS send_ms,
  device_id, device_type, profile_id, app_session_id, nullIf(playback_id, '') AS playback_id, nullIf(title_id, '') AS title_id,
  country, isp, nullIf(cdn, '') AS cdn, bitrate_kbps, duration_ms, position_ms, nullIf(error_code, '') AS error_code,
  nullIf(exit_reason, '') AS exit_reason, nullIf(row_id, '') AS row_id, row_position, nullIf(search_query, '') AS search_query,
  nullIf(ab_test_id, '') AS ab_test_id, nullIf(ab_cell, '') AS ab_cell`

/** Replays into `state` the events that shape it; returns how many were applied. */
export async function restoreClientPartition(
  client: ClickHouseClient,
  database: string,
  checkpoint: Checkpoint,
  state: ClientPartition,
  /** How far back in event time the state reaches (stateHorizonMs). */
  lookBack: number,
): Promise<number> {
  if (checkpoint.position === undefined) return 0
  const since = Number.isFinite(state.clock.highestEventTime) ? Math.floor(state.clock.highestEventTime - lookBack) : 0
  const recent = `source_partition = {partition:String} AND event_time >= fromUnixTimestamp64Milli({since:Int64})`
  // Recent events (dedup ids), plus the whole history of playbacks and app sessions still active
  // recently (open sessions and their A/B cells), up to the committed position, in stream order.
  const result = await client.query({
    query: `
      SELECT ${COLUMNS}
      FROM ${database}.client_events
      WHERE source_partition = {partition:String}
        AND (length(source_position), source_position) <= (length({position:String}), {position:String})
        AND arrival != 'too_late'
        AND (event_time >= fromUnixTimestamp64Milli({since:Int64})
             OR (playback_id != '' AND playback_id IN (SELECT playback_id FROM ${database}.client_events WHERE ${recent}))
             OR (event_type = 'ab_allocation' AND app_session_id IN (SELECT app_session_id FROM ${database}.client_events WHERE ${recent})))
      ORDER BY length(source_position), source_position, source_index`,
    query_params: { partition: checkpoint.partition, position: checkpoint.position, since },
    format: 'JSONEachRow',
  })
  let applied = 0
  for (const row of await result.json<EventRow>()) {
    const { event_ms: eventMs, send_ms: sendMs, ...rest } = row
    state.restore({ ...rest, event_time: Number(eventMs), client_send_time: Number(sendMs) })
    applied++
  }
  state.dropSessions(await endedSessions(client, database, [...state.sessions.keys()]))
  return applied
}

/** Sessions already written as ended (by a timeout, which a restore's fold cannot see). */
async function endedSessions(client: ClickHouseClient, database: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const result = await client.query({
    query: `SELECT session_id FROM ${database}.playback_sessions FINAL WHERE ended = 1 AND session_id IN {ids:Array(String)}`,
    query_params: { ids },
    format: 'JSONEachRow',
  })
  return (await result.json<{ session_id: string }>()).map((row) => row.session_id)
}
