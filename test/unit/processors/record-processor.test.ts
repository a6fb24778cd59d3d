// The record processor's promise: a record is accepted whole or dead-lettered whole, never half
// counted, and nothing one record carries (a pathological nesting, a value its column cannot hold,
// an exception in a step) stops the records after it.
import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { ClientPartitions } from '../../../processors/client-partitions.ts'
import { IpOwnershipIndex } from '../../../processors/enrich/ip-ownership.ts'
import { createProcessorMetrics } from '../../../processors/metrics.ts'
import { MAX_EVENT_BYTES, OVERSIZED_KEPT_BYTES, RecordProcessor } from '../../../processors/record-processor.ts'
import type { DerivedRow } from '../../../pipeline/rows.ts'
import type { StateStore } from '../../../pipeline/state.ts'
import { encode, encodeJson } from '../../../schemas/codec.ts'
import { columnsOf } from '../../../schemas/tables.ts'
import type { RecordKind } from '../../../schemas/types.ts'
import { createRegistry } from '../../../runtime/metrics.ts'
import { clientEvent, ipAssignment, networkFlow } from '../schemas/fixtures.ts'

const NOW = 1_700_000_100_000
const EMPTY_STATE: StateStore = { assignmentsSince: () => Promise.resolve([]), clientEvents: () => [], endedSessions: () => Promise.resolve([]) }
const SETTINGS = { windowMs: 60_000, outOfOrdernessMs: 5_000, allowedLatenessMs: 600_000, dedupHorizonMs: 600_000, sessionTimeoutMs: 1_800_000, careRebufferRatio: 0.05, enrichHoldBackMs: 0 }
const STREAMS: Record<string, RecordKind> = { clients: 'client_event', flows: 'network_flow', assignments: 'ip_assignment' }

function processor(ownership = new IpOwnershipIndex()): RecordProcessor {
  return new RecordProcessor({
    source: 'kinesis',
    kindOf: (stream) => STREAMS[stream] ?? 'client_event',
    ownership,
    clientPartitions: new ClientPartitions(SETTINGS, EMPTY_STATE, pino({ level: 'silent' })),
    metrics: createProcessorMetrics(createRegistry()),
    now: () => NOW,
  })
}

function derive(records: RecordProcessor, stream: string, data: Buffer, position = '1'): DerivedRow[] {
  return records.derive(stream, 'shardId-000000000001', { position, data, streamTimeMs: NOW })
}

const deep = '['.repeat(10_000) + ']'.repeat(10_000)
const POISON: Record<string, Buffer> = {
  clients: Buffer.from(`{"event_id":${deep}}`),
  flows: Buffer.from(`{"version":2,"interface_id":${deep}}`),
  assignments: Buffer.from(`{"change_id":${deep}}`),
}
const GOOD: Record<string, Buffer> = {
  clients: encode('client_event', clientEvent({ event_time: NOW, client_send_time: NOW })),
  flows: encode('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000 + 10 })),
  assignments: encode('ip_assignment', ipAssignment({ effective_time: NOW })),
}

describe('RecordProcessor', () => {
  for (const stream of Object.keys(STREAMS)) {
    it(`turns a 10,000-deep nested field on the ${stream} stream into one dead letter, and the next record lands`, () => {
      const records = processor()
      const poisoned = derive(records, stream, POISON[stream] ?? Buffer.alloc(0), '1')
      expect(poisoned.map((row) => [row.table, row.row.stage, row.row.reason])).toEqual([['dead_letters', 'decode', 'schema_mismatch']])
      expect(String(poisoned[0]?.row.detail)).toMatch(/nested deeper than/)
      const next = derive(records, stream, GOOD[stream] ?? Buffer.alloc(0), '2')
      expect(next.some((row) => row.table !== 'dead_letters')).toBe(true)
      expect(next.filter((row) => row.table === 'dead_letters')).toEqual([])
    })
  }

  const outOfRange: [string, string, Buffer, RegExp][] = [
    ['a negative bitrate', 'clients', encode('client_event', clientEvent({ event_time: NOW, client_send_time: NOW, bitrate_kbps: -5 })), /^bitrate_kbps: -5 is outside UInt32/],
    ['a negative start-up time', 'clients', encode('client_event', clientEvent({ event_type: 'playback_start', event_time: NOW, client_send_time: NOW, duration_ms: -5000 })), /^duration_ms: -5000/],
    ['an overflowing row position', 'clients', encodeJson('client_event', clientEvent({ event_time: NOW, client_send_time: NOW, row_position: 70_000 })), /^row_position: 70000 is outside UInt16/],
    ['an overflowing port', 'flows', encode('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000, dst_port: 70_000 })), /^dst_port: 70000 is outside UInt16/],
    ['an overflowing protocol', 'flows', encode('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000, protocol: 300 })), /^protocol: 300 is outside UInt8/],
    ['an overflowing version', 'flows', encode('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000, version: 258 })), /^version: 258 is outside UInt8/],
    ['negative packets', 'flows', encode('network_flow', networkFlow({ start: NOW / 1000, end: NOW / 1000, packets: -1 })), /^packets: -1 is outside UInt64/],
  ]
  for (const [what, stream, data, detail] of outOfRange) {
    it(`dead-letters ${what} at validation, with nothing derived from it`, () => {
      const rows = derive(processor(), stream, data)
      expect(rows.map((row) => [row.table, row.row.stage, row.row.reason])).toEqual([['dead_letters', 'validate', 'out_of_range']])
      expect(String(rows[0]?.row.detail)).toMatch(detail)
    })
  }

  it('dead-letters a send time in the year 287,000 by the send-time rule, before its column would refuse it', () => {
    const rows = derive(processor(), 'clients', encode('client_event', clientEvent({ event_time: NOW, client_send_time: 9e15 })))
    expect(rows.map((row) => [row.table, row.row.stage, row.row.reason])).toEqual([['dead_letters', 'validate', 'time_out_of_range']])
    expect(String(rows[0]?.row.detail)).toMatch(/^client_send_time 9000000000000000/)
  })

  it('dead-letters a Kafka tombstone as one, not as an empty record', () => {
    const rows = processor().derive('clients', '0', { position: '7', data: Buffer.alloc(0), streamTimeMs: NOW, tombstone: true })
    expect(rows.map((row) => [row.table, row.row.stage, row.row.reason])).toEqual([['dead_letters', 'decode', 'tombstone']])
    expect(derive(processor(), 'clients', Buffer.alloc(0)).map((row) => row.row.reason)).toEqual(['empty_record'])
  })

  it('refuses an event past MAX_EVENT_BYTES on every stream, keeping only its first OVERSIZED_KEPT_BYTES', () => {
    const huge = encodeJson('client_event', clientEvent({ event_time: NOW, client_send_time: NOW, search_query: 'x'.repeat(MAX_EVENT_BYTES) }))
    const justFits = encodeJson('client_event', clientEvent({ event_time: NOW, client_send_time: NOW, search_query: 'x'.repeat(MAX_EVENT_BYTES - 1000) }))
    const records = processor()
    const [letter] = derive(records, 'clients', huge, '1')
    expect([letter?.row.stage, letter?.row.reason]).toEqual(['decode', 'record_too_large'])
    expect(Buffer.from(String(letter?.row.raw_base64), 'base64')).toEqual(huge.subarray(0, OVERSIZED_KEPT_BYTES))
    expect(derive(records, 'clients', justFits, '2').map((row) => row.table)).toContain('client_events')
    const line = Buffer.from(`2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 ${'9'.repeat(MAX_EVENT_BYTES)} ${NOW / 1000} ${NOW / 1000} ACCEPT OK`)
    expect(derive(records, 'flows', line, '3').map((row) => row.row.reason)).toEqual(['record_too_large'])
  })

  it('dead-letters a record whose processing throws, and keeps going', () => {
    const throwing = new IpOwnershipIndex()
    let calls = 0
    throwing.ownerAt = () => {
      if (++calls === 1) throw new Error('index corrupted')
      return undefined
    }
    const records = processor(throwing)
    const first = derive(records, 'flows', GOOD.flows ?? Buffer.alloc(0), '1')
    expect(first.map((row) => [row.row.stage, row.row.reason])).toEqual([['process', 'internal_error']])
    expect(String(first[0]?.row.detail)).toContain('index corrupted')
    expect(derive(records, 'flows', GOOD.flows ?? Buffer.alloc(0), '2').map((row) => row.table)).toEqual(['network_flows'])
  })

  it('writes every dead letter with the record kind and the bare partition, in the columns of dead_letters', () => {
    const columns = columnsOf('dead_letters').map(([name]) => name)
    for (const [stream, kind] of Object.entries(STREAMS)) {
      const [row] = derive(processor(), stream, POISON[stream] ?? Buffer.alloc(0))
      expect(Object.keys(row?.row ?? {})).toEqual(columns)
      expect(row?.row).toMatchObject({ kind, stream, partition: 'shardId-000000000001', position: '1', source: 'kinesis' })
    }
  })
})
