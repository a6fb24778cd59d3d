// Writer schemas from a registry: fetched once per id, retried while the registry is down, an
// unknown id and an incompatible schema turned into the record's own failure, a refused login
// (configuration) thrown rather than retried or dead-lettered.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { encodeAsVersion } from '../../../schemas/codec.ts'
import type { SchemaRegistryClient } from '../../../schemas/confluent/registry-client.ts'
import { confluentFrame } from '../../../schemas/confluent/wire.ts'
import { WriterSchemas } from '../../../schemas/confluent/writer-schemas.ts'
import { PulseError } from '../../../runtime/errors.ts'
import { clientEvent } from './fixtures.ts'

const V1 = readFileSync(new URL('../../../schemas/client_event.v1.avsc', import.meta.url), 'utf8')
const INCOMPATIBLE = JSON.stringify({ type: 'record', name: 'ClientEvent', namespace: 'pulse', fields: [{ name: 'event_id', type: 'int' }] })
const FAST = { attempts: 5, initialDelayMs: 1, maxDelayMs: 2 }

function registry(answers: Record<number, string>, failures: Error[] = []): { client: SchemaRegistryClient; calls: number[] } {
  const calls: number[] = []
  const client = {
    schemaById: (id: number): Promise<string | undefined> => {
      calls.push(id)
      const failure = failures.shift()
      return failure === undefined ? Promise.resolve(answers[id]) : Promise.reject(failure)
    },
  } as unknown as SchemaRegistryClient
  return { client, calls }
}

const v1Event = (({ exit_reason: _e, search_query: _s, ...rest }) => rest)(clientEvent())
const v1Body = encodeAsVersion('client_event', 1, v1Event).subarray(10)

describe('writer schemas from a registry', () => {
  it('reads a record of an older compatible schema into the latest shape, fetching its id once', async () => {
    const { client, calls } = registry({ 7: V1 })
    const schemas = new WriterSchemas(client, FAST)
    const record = confluentFrame(7, v1Body)
    await schemas.prefetch([record, record])
    await schemas.prefetch([record])
    expect(calls).toEqual([7])
    expect(schemas.decode('client_event', record)).toEqual({ ok: true, value: { ...v1Event, exit_reason: null, search_query: null }, writerVersion: 1, format: 'avro' })
  })

  it('turns an unknown id and an incompatible schema into the record\'s failure', async () => {
    const schemas = new WriterSchemas(registry({ 8: INCOMPATIBLE }).client, FAST)
    const unknown = confluentFrame(9, v1Body)
    const incompatible = confluentFrame(8, Buffer.from([14]))
    await schemas.prefetch([unknown, incompatible])
    expect(schemas.decode('client_event', unknown)).toEqual({ ok: false, reason: 'unknown_schema', detail: 'schema id 9 is not in the schema registry' })
    expect(schemas.decode('client_event', incompatible)).toMatchObject({ ok: false, reason: 'incompatible_schema' })
  })

  it('retries while the registry is down, and throws a refused login instead of retrying it', async () => {
    const down = new PulseError('unreachable', { retriable: true })
    const { client, calls } = registry({ 7: V1 }, [down, down])
    await new WriterSchemas(client, FAST).prefetch([confluentFrame(7, v1Body)])
    expect(calls).toEqual([7, 7, 7])
    const refused = registry({ 7: V1 }, [new PulseError('HTTP 401', { retriable: false })])
    await expect(new WriterSchemas(refused.client, FAST).prefetch([confluentFrame(7, v1Body)])).rejects.toThrow('HTTP 401')
    expect(refused.calls).toEqual([7])
  })
})
