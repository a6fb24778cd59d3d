// The one-pass JSON-to-Avro writer stands in for checkJsonRecord + encode on the collector's hot path,
// so it must never accept what they refuse, and what it accepts must be the same record and the same
// bytes, field value by field value (edge values of every type, every field of generated traffic).
import avsc from 'avsc'
import { describe, expect, it } from 'vitest'
import { AvroWriter, MAX_SAFE_LONG } from '../../../schemas/avro-writer.ts'
import { encode } from '../../../schemas/codec.ts'
import { checkJsonRecord } from '../../../schemas/json-input.ts'
import { compileJsonToAvro, type JsonToAvro } from '../../../schemas/json-to-avro.ts'
import { schemasOf } from '../../../schemas/registry.ts'
import type { ClientEvent } from '../../../schemas/types.ts'
import { generateClientTraffic } from '../../../producers/generators/index.ts'
import { clientEvent } from './fixtures.ts'

const schemas = schemasOf('client_event')
const compiled = compileJsonToAvro(schemas) as JsonToAvro
const header = schemas.latest.header

function viaCompiled(input: Record<string, unknown>, server: Record<string, unknown> = {}): { record: object; bytes: Buffer } | undefined {
  const out = new AvroWriter(16)
  out.begin(header)
  const record = compiled(input, out, server)
  return record === undefined ? undefined : { record, bytes: Buffer.from(out.finish()) }
}

function viaGeneralPath(input: Record<string, unknown>): { record: object; bytes: Buffer } | undefined {
  const checked = checkJsonRecord(schemas, input)
  return checked.ok ? { record: checked.value, bytes: encode('client_event', checked.value as ClientEvent) } : undefined
}

/** Values of every JSON type and the edges of each Avro type; each replaces one field in turn. */
const PROBES: unknown[] = [
  undefined, null, '', 'x', 'ünïcödé 🎬', 'a'.repeat(200), '\ud800 lone', 'constructor', 'tv', 'search',
  0, -0, 1, -1, 1.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 30, -(2 ** 30) - 1, MAX_SAFE_LONG, MAX_SAFE_LONG + 1, -MAX_SAFE_LONG,
  Number.NaN, Number.POSITIVE_INFINITY, true, false, [], {}, [[[[]]]], { a: 1 },
  '2024-02-29T12:00:00.123Z', '2024-02-30T00:00:00Z', '2024-06-01T10:00:00+02:00', '2024-06-01T10:00:00', 1_700_000_000_123,
]

describe('compileJsonToAvro on client_event', () => {
  it('compiles the latest client_event schema', () => {
    expect(compiled).toBeTypeOf('function')
  })

  it('writes the bytes and builds the record of checkJsonRecord + encode for generated traffic', () => {
    const events = generateClientTraffic({ seed: 11, startTime: 1_700_000_000_000 }, 300).map((item) => item.record)
    for (const event of [...events, clientEvent()]) {
      const input = JSON.parse(JSON.stringify(event)) as Record<string, unknown>
      expect(viaCompiled(input)).toEqual(viaGeneralPath(input))
    }
  })

  it('never accepts what the general path refuses, and agrees on bytes where both accept', () => {
    const base = JSON.parse(JSON.stringify(clientEvent())) as Record<string, unknown>
    let refusedOnlyHere = 0
    for (const field of schemas.fieldNames) {
      for (const probe of PROBES) {
        const input = Object.fromEntries(Object.entries(base).filter(([name]) => name !== field || probe !== undefined).map(([name, value]) => [name, name === field ? probe : value]))
        const fast = viaCompiled(input)
        const general = viaGeneralPath(input)
        if (fast !== undefined) expect({ field, probe, result: fast }).toEqual({ field, probe, result: general })
        else if (general !== undefined) {
          // Only a lone surrogate, which UTF-8 cannot carry, is refused here alone (the caller falls back).
          expect({ field, probe }).toEqual({ field, probe: '\ud800 lone' })
          refusedOnlyHere++
        }
      }
    }
    expect(refusedOnlyHere).toBeGreaterThan(0)
  })

  it('takes server-set fields from the server, whatever the client sent', () => {
    const input = { ...(JSON.parse(JSON.stringify(clientEvent())) as Record<string, unknown>), received_at: 'garbage' }
    const stamped = compileJsonToAvro(schemas, ['received_at']) as JsonToAvro
    const out = new AvroWriter()
    out.begin(header)
    const record = stamped(input, out, { received_at: 1_700_000_001_000 })
    expect(record).toMatchObject({ received_at: 1_700_000_001_000 })
    expect(Buffer.from(out.finish())).toEqual(encode('client_event', { ...clientEvent(), received_at: 1_700_000_001_000 }))
  })

  it('reads own fields only: an object with another prototype is left to the general path', () => {
    const { cdn, ...rest } = JSON.parse(JSON.stringify(clientEvent({ cdn: 'akamai' }))) as Record<string, unknown>
    const inherits = Object.assign(Object.create({ cdn }) as Record<string, unknown>, rest)
    expect(viaCompiled(inherits)).toBeUndefined()
    expect(viaGeneralPath(inherits)?.record).toMatchObject({ cdn: null })
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, rest)
    expect(viaCompiled(bare)).toEqual(viaGeneralPath(bare))
  })

  it('does not compile a schema with a type it does not cover (the caller keeps the general path)', () => {
    const type = avsc.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'b', type: 'boolean' }] }, { wrapUnions: 'never' })
    if (!(type instanceof avsc.types.RecordType)) throw new Error('not a record type')
    const latest = { ...schemas.latest, type }
    expect(compileJsonToAvro({ ...schemas, latest, fields: [{ name: 'b', timestampMillis: false }], fieldNames: ['b'] })).toBeUndefined()
  })
})

describe('AvroWriter', () => {
  it('writes longs as avsc does, at every width', () => {
    const long = avsc.Type.forSchema('long')
    for (const n of [0, -0, 1, -1, 63, -64, 64, 2 ** 30 - 1, 2 ** 30, -(2 ** 30), -(2 ** 30) - 1, 2 ** 31, 2 ** 35 + 3, -(2 ** 35) - 3, 2 ** 49 + 12_345, 2 ** 52 + 1, 1_700_000_000_123, -1_700_000_000_123, MAX_SAFE_LONG, -MAX_SAFE_LONG]) {
      const out = new AvroWriter()
      out.begin(Buffer.alloc(0))
      out.long(n)
      expect(Buffer.from(out.finish()), String(n)).toEqual(long.toBuffer(n))
    }
  })

  it('keeps earlier records intact when the buffer grows, and drops a discarded one', () => {
    const out = new AvroWriter(64)
    const records: Buffer[] = []
    for (let i = 0; i < 50; i++) {
      out.begin(Buffer.from([i]))
      out.string(`record ${i} ${'é'.repeat(i)}`)
      if (i % 7 === 3) out.discard()
      else records.push(out.finish())
    }
    const string = avsc.Type.forSchema('string')
    const expected = Array.from({ length: 50 }, (_, i) => i)
      .filter((i) => i % 7 !== 3)
      .map((i) => Buffer.concat([Buffer.from([i]), string.toBuffer(`record ${i} ${'é'.repeat(i)}`)]))
    expect(records).toEqual(expected)
  })
})
