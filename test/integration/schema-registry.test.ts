// Avro in Confluent's wire format, written by a registry-aware producer (the real
// @kafkajs/confluent-schema-registry client) against a real registry (Apicurio Registry's
// Confluent-compatible API, test/helpers/registry.ts), read by Pulse with the writer schemas fetched
// from it: records written with the latest and with an older compatible schema land; an unknown id
// and an incompatible schema are dead letters with their reason; while the registry process is
// stopped nothing is dead-lettered and the records wait, then land once it is back. Pulse's own
// producer writes the same format (--wire-format confluent), which the client library reads back.
// What the real registry here is not set up to do (answer 503, refuse credentials: its basic auth
// needs an OpenID server) is played by the stand-in in the last case.
import { readFileSync } from 'node:fs'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureSchemaRegistry } from '../../infra/schema-registry/build.ts'
import { ConfluentTransport } from '../../producers/confluent-transport.ts'
import { generateClientTraffic } from '../../producers/generators/client-traffic.ts'
import type { OutgoingRecord, Transport } from '../../producers/transport.ts'
import { encode } from '../../schemas/codec.ts'
import { SchemaRegistryClient } from '../../schemas/confluent/registry-client.ts'
import { confluentFrame } from '../../schemas/confluent/wire.ts'
import type { ClientEvent } from '../../schemas/types.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'
import { startTestRegistry } from '../helpers/registry.ts'
import { startRegistryStandIn } from '../helpers/registry-stand-in.ts'
import { count, embeddedClickHouse, pollUntil, testLogger } from '../helpers/services.ts'

const CREDENTIALS = { username: 'pulse', password: 'registry-secret' }
const schemaText = (file: string): string => readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')
const INCOMPATIBLE = JSON.stringify({ type: 'record', name: 'ClientEvent', namespace: 'pulse', fields: [{ name: 'event_id', type: 'int' }] })

function withoutV2Fields(event: ClientEvent): Omit<ClientEvent, 'exit_reason' | 'search_query'> {
  const { exit_reason: _exit, search_query: _search, ...v1 } = event
  return v1
}

describe('Avro from a schema registry', () => {
  // CI builds the registry in its install step; on a developer's first run this builds it (1-2
  // minutes) before the cases' own timeouts start.
  beforeAll(() => ensureSchemaRegistry(), 600_000)

  it('reads records of the latest and an older schema, dead-letters unknown and incompatible ones, and waits out an outage', async () => {
    const registry = await startTestRegistry()
    const pipeline = await kinesisPipeline({ schemaRegistry: { url: registry.url, username: '', password: '' } })
    const stream = pipeline.kinesis.streams.client_event
    const client = new SchemaRegistry({ host: registry.url })
    const subject = `${stream}-value`
    const v1 = await client.register({ type: SchemaType.AVRO, schema: schemaText('client_event.v1.avsc') }, { subject })
    const v2 = await client.register({ type: SchemaType.AVRO, schema: schemaText('client_event.v2.avsc') }, { subject })
    const other = await client.register({ type: SchemaType.AVRO, schema: INCOMPATIBLE }, { subject: 'another-value' })
    expect(new Set([v1.id, v2.id, other.id]).size).toBe(3)

    const events = generateClientTraffic({ seed: 5, startTime: Date.now() - 60_000, duplicateFraction: 0 }, 6).map((item) => item.record)
    const latest = events.slice(0, 4)
    const older = events.slice(4)
    const records: OutgoingRecord[] = [
      ...(await Promise.all(latest.map(async (event) => ({ key: event.app_session_id, value: await client.encode(v2.id, event) })))),
      ...(await Promise.all(older.map(async (event) => ({ key: event.app_session_id, value: await client.encode(v1.id, withoutV2Fields(event)) })))),
      { key: 'incompatible', value: await client.encode(other.id, { event_id: 7 }) },
      { key: 'unknown', value: confluentFrame(9999, encode('client_event', events[0] as ClientEvent).subarray(10)) },
    ]
    await pipeline.transport.send(stream, records)

    // The registry process stops before Pulse has fetched anything: the records wait, none is dead-lettered.
    await registry.stop()
    const log = testLogger()
    pipeline.runtime.logger = log.logger
    await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    const waiting = (): string[] => log.lines.filter((line) => line.includes('schema registry unavailable; the batch waits'))
    await pollUntil(() => Promise.resolve(waiting()), (lines) => lines.length > 0, { what: 'Pulse waiting for the registry' })
    expect(waiting()[0]).toContain(`${registry.url} unreachable`)
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events`)).toBe(0)
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.dead_letters`)).toBe(0)
    await registry.start()

    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events`), (n) => n === 6, { what: 'the six good events' })
    const rows = await (await clickhouse.client.query({ query: `SELECT event_id, exit_reason, search_query FROM ${pipeline.database}.client_events ORDER BY event_id`, format: 'JSONEachRow' })).json<{ event_id: string; exit_reason: string; search_query: string }>()
    expect(rows.map((row) => row.event_id)).toEqual(events.map((event) => event.event_id).sort())
    // The older writer had no exit_reason or search_query: they take the reader's defaults.
    for (const event of older) expect(rows.find((row) => row.event_id === event.event_id)).toEqual({ event_id: event.event_id, exit_reason: '', search_query: '' })
    const letters = await pollUntil(
      async () => (await clickhouse.client.query({ query: `SELECT reason, detail FROM ${pipeline.database}.dead_letters ORDER BY reason`, format: 'JSONEachRow' })).json<{ reason: string; detail: string }>(),
      (found) => found.length === 2,
      { what: 'two dead letters' },
    )
    expect(letters.map((letter) => letter.reason)).toEqual(['incompatible_schema', 'unknown_schema'])
    expect(letters[0]?.detail).toMatch(new RegExp(`schema id ${other.id} does not resolve to client_event v3`))
    expect(letters[1]?.detail).toBe('schema id 9999 is not in the schema registry')
  })

  it("writes the format from Pulse's producer (--wire-format confluent), readable by the client library and by Pulse", async () => {
    const registry = await startTestRegistry()
    const pipeline = await kinesisPipeline({ schemaRegistry: { url: registry.url, username: '', password: '' } })
    const stream = pipeline.kinesis.streams.client_event
    const sent: Buffer[] = []
    const capture: Transport = { name: 'kinesis', ensureStreams: () => Promise.resolve(), send: (_stream, records) => Promise.resolve(void sent.push(...records.map((record) => record.value))), close: () => Promise.resolve() }
    const events = generateClientTraffic({ seed: 9, startTime: Date.now() - 60_000, duplicateFraction: 0 }, 30).map((item) => item.record)
    const records = events.map((event) => ({ key: event.app_session_id, value: encode('client_event', event) }))
    const registryClient = new SchemaRegistryClient({ url: registry.url })
    await new ConfluentTransport(capture, registryClient, () => 'client_event').send(stream, records)
    const client = new SchemaRegistry({ host: registry.url })
    expect(sent[0]?.[0]).toBe(0)
    // Generated events never went through the collector: the registry's reader fills received_at with null.
    expect(await client.decode(sent[0] as Buffer)).toEqual({ ...events[0], received_at: null })

    await new ConfluentTransport(pipeline.transport, registryClient, () => 'client_event').send(stream, records)
    await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT uniqExact(event_id) FROM ${pipeline.database}.client_events`), (n) => n === new Set(events.map((event) => event.event_id)).size, { what: 'every event' })
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.dead_letters`)).toBe(0)
  })

  it('waits while the registry answers 503, and stops the processor when it refuses the credentials', async () => {
    const standIn = await startRegistryStandIn(CREDENTIALS)
    const pipeline = await kinesisPipeline({ schemaRegistry: { url: standIn.url, username: CREDENTIALS.username, password: 'wrong' } })
    const stream = pipeline.kinesis.streams.client_event
    const client = new SchemaRegistry({ host: standIn.url, auth: CREDENTIALS })
    const { id } = await client.register({ type: SchemaType.AVRO, schema: schemaText('client_event.v2.avsc') }, { subject: `${stream}-value` })
    const [event] = generateClientTraffic({ seed: 11, startTime: Date.now() - 60_000, duplicateFraction: 0 }, 1).map((item) => item.record)
    if (event === undefined) throw new Error('the generator made no event')
    await pipeline.transport.send(stream, [{ key: event.app_session_id, value: await client.encode(id, event) }])

    standIn.down = true
    const processor = await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => Promise.resolve(standIn.refused), (n) => n >= 3, { what: 'Pulse retrying the registry' })
    expect(processor.fatal).toEqual([])
    standIn.down = false

    // Refused credentials are a configuration fault: retrying cannot help and the record is not to blame.
    const [fatal] = await pollUntil(() => Promise.resolve(processor.fatal), (errors) => errors.length > 0, { what: 'the processor stopping' })
    expect(String(fatal)).toContain('HTTP 401')
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.client_events`)).toBe(0)
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.dead_letters`)).toBe(0)
  })
})
