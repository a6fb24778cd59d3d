// An idle partition still closes its sessions: after traffic stops, nothing new arrives to move the
// watermark, so after --idle-timeout-ms it follows the clock and the open playback is written as
// ended (timed out) and its minute rows are written (the window closed), without a restart or a new event.
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { encode } from '../../schemas/codec.ts'
import type { ClientEvent } from '../../schemas/types.ts'
import { clientEvent } from '../unit/schemas/fixtures.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'

describe('an idle partition', () => {
  it('times out its open sessions by the clock once it has been quiet for the idle timeout', async () => {
    // 10 s windows: a minute window may close up to 65 s after the events (its end plus the
    // out-of-orderness), longer than the poll waits; a 10 s one closes within ~15 s.
    const pipeline = await kinesisPipeline({ processing: { idleTimeoutMs: 1000, sessionTimeoutMs: 1000, windowSeconds: 10 } })
    const now = Date.now()
    const playback = randomUUID()
    const base: Partial<ClientEvent> = { playback_id: playback, app_session_id: 'app-idle', exit_reason: null, error_code: null, duration_ms: null }
    const events = [
      clientEvent({ ...base, event_id: randomUUID(), event_type: 'play_request', event_time: now - 3000, client_send_time: now - 3000 }),
      clientEvent({ ...base, event_id: randomUUID(), event_type: 'playback_start', event_time: now - 2000, client_send_time: now - 2000, duration_ms: 800 }),
    ]
    await pipeline.transport.send(pipeline.kinesis.streams.client_event, events.map((event) => ({ key: event.app_session_id, value: encode('client_event', event) })))
    await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    const db = pipeline.database
    // The minute closes when the watermark follows the clock past it: its rows come with the idle sweep.
    await pollUntil(() => count(clickhouse, `SELECT sum(plays) FROM ${db}.qoe_1m`), (n) => n === 1, { what: 'the minute row of the play' })
    const ended = await pollUntil(
      () => count(clickhouse, `SELECT count() FROM ${db}.playback_sessions FINAL WHERE session_id = '${playback}' AND ended = 1`),
      (n) => n === 1,
      { what: 'the session written as ended without a new event', timeoutMs: 30_000 },
    )
    expect(ended).toBe(1)
    const exit = await count(clickhouse, `SELECT count() FROM ${db}.playback_sessions FINAL WHERE session_id = '${playback}' AND exit_reason = 'timeout'`)
    expect(exit).toBe(1)
  })
})
