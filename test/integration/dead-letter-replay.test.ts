// Dead-letter replay end to end on the real engines: a client event rejected by a pipeline that did
// not know its schema version yet (the dead letter an older Pulse, reading only client_event v1, wrote
// for a v2 record: reason unknown_schema) is replayed onto its stream after the change, processed by
// `pulse process`, and lands once; replaying again (also forced, with --again) writes nothing twice.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { describe, expect, inject, it, onTestFinished } from 'vitest'
import { pulse } from '../helpers/cli.ts'
import { startKinesisEmulator } from '../../infra/kinesis/emulator.ts'
import { encode } from '../../schemas/codec.ts'
import { clientEvent } from '../unit/schemas/fixtures.ts'

describe('pulse dead-letters replay', () => {
  it('replays a record a change now allows: it lands once, and a second replay writes nothing twice', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-replay-'))
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
    const emulator = await startKinesisEmulator({ port: 0, persistDir: join(dataDir, 'kinesis') })
    onTestFinished(() => emulator.stop())
    const prefix = `r${Date.now().toString(36)}`
    const stream = `${prefix}-client-events`
    const common = ['--data-dir', dataDir, '--kinesis-endpoint', emulator.endpoint, '--stream-prefix', prefix]
    const query = async (sql: string): Promise<string> => (await pulse(['query', '--data-dir', dataDir, '--format', 'TSV', sql])).stdout.trim()

    const eventId = randomUUID()
    const now = Date.now()
    const raw = encode('client_event', clientEvent({ event_id: eventId, event_time: now - 60_000, client_send_time: now - 59_000 })).toString('base64')
    await pulse(['migrate', '--data-dir', dataDir])
    await query(
      `INSERT INTO pulse.dead_letters (received_time, stage, reason, detail, kind, source, stream, partition, position, raw_base64, raw_preview)
       VALUES (now64(3), 'decode', 'unknown_schema', 'fingerprint is no known client_event schema (known: v1)', 'client_event', 'kinesis', '${stream}', 'shardId-000000000000', '49000', '${raw}', '')`,
    )
    const listed = (await pulse(['dead-letters', '--data-dir', dataDir])).stdout
    expect(listed).toMatch(/^decode\tunknown_schema\t1\t0\t/m)

    expect((await pulse(['dead-letters', 'replay', ...common, '--reason', 'unknown_schema'])).stdout).toContain(`replayed 1 dead letter(s) onto ${stream}`)
    expect((await pulse(['dead-letters', 'replay', ...common, '--reason', 'unknown_schema'])).stdout).toContain('nothing to replay')
    const processArgs = ['process', ...common, '--dynamodb-endpoint', inject('dynamodbEndpoint'), '--metrics-port', '0', '--duration', '12', '--client-rate', '0']
    await pulse(processArgs)
    expect(await query(`SELECT count() FROM pulse.client_events WHERE event_id = '${eventId}'`)).toBe('1')

    // Forced: the bytes go on the stream again; the event id is within the dedup horizon, so it is dropped.
    expect((await pulse(['dead-letters', 'replay', ...common, '--stage', 'decode', '--again'])).stdout).toContain('replayed 1')
    await pulse(processArgs)
    expect(await query(`SELECT count() FROM pulse.client_events WHERE event_id = '${eventId}'`)).toBe('1')
    expect((await pulse(['dead-letters', '--data-dir', dataDir])).stdout).toMatch(/^decode\tunknown_schema\t1\t1\t/m)
    expect(await query(`SELECT count(), uniqExact(target_stream) FROM pulse.dead_letter_replays`)).toBe('2\t1')
  })
})
