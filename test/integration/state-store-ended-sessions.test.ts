// A restarted processor asks which of a partition's restored open sessions have ended. The ids are
// query parameters, so they travel in the URL: a few thousand of them once passed Node's 16 KiB and the
// embedded interface reset the connection on every retry, the partition paused for good (the chaos
// harness's kafka-kills stall). The interface now takes ClickHouse's 1 MiB, but a partition with
// ~25,000 open sessions passes that too, on a real server as well: the store asks in slices.
import { createClient } from '@clickhouse/client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { ClickHouseStateStore } from '../../sinks/clickhouse/state-store.ts'
import { serveClickHouse } from '../helpers/kafka.ts'
import { uniqueName } from '../helpers/services.ts'

describe('endedSessions with many open sessions', () => {
  it('answers for 30,000 session ids (a URL of well over 1 MiB at once) through the HTTP interface', async () => {
    const { url } = await serveClickHouse()
    const client = createClient({ url })
    onTestFinished(() => client.close())
    const database = uniqueName('ended_sessions').replace(/[^a-z0-9_]/gi, '_')
    await client.command({ query: `CREATE DATABASE ${database}` })
    await client.command({ query: `CREATE TABLE ${database}.playback_sessions (session_id String, end_time DateTime64(3), ended UInt8) ENGINE = ReplacingMergeTree ORDER BY session_id` })
    const ids = Array.from({ length: 30_000 }, (_, index) => `playback-${String(index).padStart(6, '0')}-0123456789abcdef0123`)
    const ended = ids.filter((_, index) => index % 7 === 0)
    await client.insert({ table: `${database}.playback_sessions`, values: ended.map((session_id) => ({ session_id, end_time: 1_700_000_000_123, ended: 1 })), format: 'JSONEachRow' })
    const store = new ClickHouseStateStore(client, database)
    const answer = await store.endedSessions(ids)
    expect(answer.map((row) => row.sessionId).sort()).toEqual([...ended].sort())
    expect(new Set(answer.map((row) => row.endTime))).toEqual(new Set([1_700_000_000_123]))
    expect(await store.endedSessions([])).toEqual([])
  })
})
