// Dead-letter rows keep the record exactly as it arrived (base64) and a bounded, always-valid preview
// for people reading the table.

import { randomBytes } from 'node:crypto'
import { columnsOf } from '../../../schemas/tables.ts'
import { describe, expect, it } from 'vitest'
import { deadLetterRow, type RejectedAt, type Rejection } from '../../../pipeline/dead-letter.ts'

const from: RejectedAt = { ingestTimeMs: 1_700_000_000_000, partition: 'shardId-000000000000', position: '49590338271490256608559692538361571095921575989136588898' }
const rejection: Rejection = { stage: 'decode', reason: 'avro_decode', detail: 'truncated buffer', kind: 'client_event', source: 'kinesis', stream: 'pulse-client-events' }

/** Every byte value, invalid UTF-8 sequences and NULs included. */
const everyByte = Buffer.from(Array.from({ length: 256 }, (_, value) => value))

describe('deadLetterRow', () => {
  it('base64 round-trips the raw bytes exactly', () => {
    for (const raw of [Buffer.alloc(0), everyByte, randomBytes(10_000), Buffer.from('{"json": "ünïcödé 🎬"}')]) {
      const row = deadLetterRow(rejection, raw, from)
      expect(Buffer.from(String(row.raw_base64), 'base64').equals(raw)).toBe(true)
    }
  })

  it('copies the rejection and where the record came from', () => {
    const row = deadLetterRow(rejection, Buffer.from('x'), from)
    expect(row).toMatchObject({
      received_time: from.ingestTimeMs,
      stage: 'decode',
      reason: 'avro_decode',
      detail: 'truncated buffer',
      kind: 'client_event',
      source: 'kinesis',
      stream: 'pulse-client-events',
      partition: from.partition,
      position: from.position,
    })
  })

  it('previews text records as they are', () => {
    expect(deadLetterRow(rejection, Buffer.from('{"event_id": "é"}'), from).raw_preview).toBe('{"event_id": "é"}')
  })

  it('caps the preview at the first 512 bytes', () => {
    const ascii = Buffer.from('a'.repeat(400) + 'b'.repeat(400))
    expect(deadLetterRow(rejection, ascii, from).raw_preview).toBe('a'.repeat(400) + 'b'.repeat(112))
  })

  it('cuts a multi-byte character at the cap without producing invalid text', () => {
    // '€' is 3 bytes: 512 bytes hold 170 whole ones and 2 bytes of the 171st.
    const preview = String(deadLetterRow(rejection, Buffer.from('€'.repeat(400)), from).raw_preview)
    expect(preview.startsWith('€'.repeat(170))).toBe(true)
    expect(preview.length).toBeLessThanOrEqual(171)
    expect(preview.slice(170)).not.toContain('€')
  })

  it('never throws on binary input and gives a bounded, well-formed preview', () => {
    for (const raw of [everyByte, randomBytes(100_000), Buffer.from([0xf3, 0x89, 0x9a, 0xc2, 0xff, 0xfe, 0x00])]) {
      const preview = String(deadLetterRow(rejection, raw, from).raw_preview)
      expect(preview.length).toBeLessThanOrEqual(512)
      // Well-formed UTF-16 (no lone surrogates) survives a UTF-8 round trip unchanged...
      expect(Buffer.from(preview, 'utf8').toString('utf8')).toBe(preview)
      // ...and the row serialises to JSON and back, as JSONEachRow needs.
      expect(JSON.parse(JSON.stringify({ preview })) as unknown).toEqual({ preview })
    }
  })

  it('caps the detail at 2000 characters', () => {
    const detail = 'x'.repeat(1999) + 'yz' + 'w'.repeat(5000)
    const row = deadLetterRow({ ...rejection, detail }, Buffer.from('x'), from)
    expect(row.detail).toBe('x'.repeat(1999) + 'y')
  })

  it('writes exactly the columns of dead_letters (schemas/tables.ts, held to the migrations by table-columns.test.ts)', () => {
    expect(Object.keys(deadLetterRow(rejection, Buffer.from('x'), from))).toEqual(columnsOf('dead_letters').map(([name]) => name))
  })

  it('points to the event within its source record', () => {
    expect(deadLetterRow(rejection, Buffer.from('x'), { ...from, index: 3 }).source_index).toBe(3)
    expect(deadLetterRow(rejection, Buffer.from('x'), from).source_index).toBe(0)
  })
})
