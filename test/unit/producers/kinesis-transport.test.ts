// The pure half of the Kinesis transport: packing one shard's records into KPL aggregates, and
// cutting entries into PutRecords requests within the API's limits (500 records, 5 MiB).

import type { PutRecordsRequestEntry } from '@aws-sdk/client-kinesis'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_AGGREGATE_BYTES,
  packGroup,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
  requests,
} from '../../../producers/kinesis/kinesis-transport.ts'
import { shardFor, type ShardRange } from '../../../producers/kinesis/shard-map.ts'
import { aggregatedSize, deaggregate, KPL_MAGIC } from '../../../schemas/kpl-aggregation.ts'
import type { OutgoingRecord } from '../../../producers/transport.ts'

const MiB = 1024 * 1024

const record = (key: string, bytes: number, fill = key): OutgoingRecord => ({ key, value: Buffer.alloc(bytes, fill) })

/** Bytes Kinesis counts for an entry: its data plus its partition key in UTF-8. */
function entryBytes(entry: PutRecordsRequestEntry): number {
  return (entry.Data?.byteLength ?? 0) + Buffer.byteLength(entry.PartitionKey ?? '', 'utf8')
}

function isAggregate(entry: PutRecordsRequestEntry): boolean {
  const data = Buffer.from(entry.Data ?? new Uint8Array())
  return data.subarray(0, KPL_MAGIC.length).equals(KPL_MAGIC)
}

/** The user records a consumer gets back from these entries, in order. */
function unpack(entries: readonly PutRecordsRequestEntry[]): { key: string; value: string }[] {
  return entries.flatMap((entry) => {
    const data = Buffer.from(entry.Data ?? new Uint8Array())
    if (!isAggregate(entry)) return [{ key: entry.PartitionKey ?? '', value: data.toString('hex') }]
    const result = deaggregate(data)
    if (!result.ok) throw new Error(`bad aggregate: ${result.reason} ${result.detail}`)
    return result.records.map((user) => ({ key: user.key, value: user.data.toString('hex') }))
  })
}

const asUnpacked = (records: readonly OutgoingRecord[]): { key: string; value: string }[] => records.map((r) => ({ key: r.key, value: r.value.toString('hex') }))

describe('packGroup', () => {
  it('returns nothing for no records', () => {
    expect(packGroup([], DEFAULT_AGGREGATE_BYTES)).toEqual([])
  })

  it('packs small records into aggregates that deaggregate to the same records, in order', () => {
    const records = Array.from({ length: 300 }, (_, index) => ({ key: `device-${index % 7}`, value: Buffer.from(`event ${index} ${'x'.repeat(index % 50)}`) }))
    const entries = packGroup(records, 2000)
    expect(entries.length).toBeGreaterThan(1)
    expect(entries.length).toBeLessThan(records.length)
    expect(entries.every(isAggregate)).toBe(true)
    expect(unpack(entries)).toEqual(asUnpacked(records))
  })

  it('keeps every aggregate within the limit, data and partition key counted', () => {
    const records = Array.from({ length: 500 }, (_, index) => record(`k${index % 13}`, 100 + ((index * 37) % 900)))
    for (const limit of [1000, 4096, DEFAULT_AGGREGATE_BYTES]) {
      for (const entry of packGroup(records, limit)) expect(entryBytes(entry)).toBeLessThanOrEqual(limit)
    }
  })

  it('fills each aggregate: the next record would not have fitted', () => {
    const records = Array.from({ length: 200 }, (_, index) => record(`key-${index % 5}`, 1000 + index))
    const entries = packGroup(records, DEFAULT_AGGREGATE_BYTES)
    let next = 0
    for (const entry of entries.slice(0, -1)) {
      const count = unpack([entry]).length
      const withNext = records.slice(next, next + count + 1).map((r) => ({ key: r.key, data: r.value }))
      const firstKey = records[next]?.key ?? ''
      expect(aggregatedSize(withNext) + Buffer.byteLength(firstKey)).toBeGreaterThan(DEFAULT_AGGREGATE_BYTES)
      next += count
    }
  })

  it('puts each aggregate under its first record\'s key, with that key\'s MD5 as explicit hash key', () => {
    const records = [record('b', 10), record('a', 10), record('c', 10)]
    const [entry] = packGroup(records, DEFAULT_AGGREGATE_BYTES)
    expect(entry?.PartitionKey).toBe('b')
    expect(entry?.ExplicitHashKey).toBe(BigInt(`0x${createHash('md5').update('b').digest('hex')}`).toString(10))
  })

  it('routes each aggregate to the shard all its records belong to', () => {
    const halves: ShardRange[] = [
      { shardId: 'shard-0', start: 0n, end: 2n ** 127n - 1n },
      { shardId: 'shard-1', start: 2n ** 127n, end: 2n ** 128n - 1n },
    ]
    const shardOfKey = (key: string): string | undefined => shardFor(halves, BigInt(`0x${createHash('md5').update(key).digest('hex')}`))?.shardId
    // One shard's records, as aggregateByShard hands them over: keys that all hash into shard-1.
    const keys = Array.from({ length: 100 }, (_, index) => `viewer-${index}`).filter((key) => shardOfKey(key) === 'shard-1')
    const records = keys.flatMap((key) => [record(key, 400), record(key, 300)])
    for (const entry of packGroup(records, 4096)) {
      expect(shardFor(halves, BigInt(entry.ExplicitHashKey ?? '-1'))?.shardId).toBe('shard-1')
    }
  })

  it('sends a record too big for an aggregate on its own, as a plain record, keeping the order', () => {
    const limit = 4096
    const records = [record('a', 100, '1'), record('b', 100, '2'), record('big', 10_000, '3'), record('c', 100, '4'), record('d', 100, '5')]
    const entries = packGroup(records, limit)
    expect(entries.map(isAggregate)).toEqual([true, false, true])
    expect(entries[1]).toEqual({ PartitionKey: 'big', Data: records[2]?.value })
    expect(entries[1]?.ExplicitHashKey).toBeUndefined()
    expect(unpack(entries)).toEqual(asUnpacked(records))
  })
})

describe('requests', () => {
  const plain = (key: string, bytes: number): PutRecordsRequestEntry => ({ PartitionKey: key, Data: Buffer.alloc(bytes, 1) })

  it('yields nothing for no entries', () => {
    expect([...requests([])]).toEqual([])
  })

  it('carries at most 500 entries per request, in order', () => {
    const entries = Array.from({ length: 1201 }, (_, index) => plain(`k${index}`, 10))
    const batches = [...requests(entries)]
    expect(batches.map((batch) => batch.length)).toEqual([500, 500, 201])
    expect(PUT_RECORDS_MAX_ENTRIES).toBe(500)
    expect(batches.flat()).toEqual(entries)
  })

  it('carries at most 5 MiB per request and fills each one', () => {
    expect(PUT_RECORDS_MAX_BYTES).toBe(5 * MiB)
    const entries = Array.from({ length: 40 }, (_, index) => plain(`key-${index}`, 300_000 + index * 7_919))
    const batches = [...requests(entries)]
    expect(batches.flat()).toEqual(entries)
    batches.forEach((batch, index) => {
      const bytes = batch.reduce((total, entry) => total + entryBytes(entry), 0)
      expect(bytes).toBeLessThanOrEqual(5 * MiB)
      // Greedy: the next request's first entry would not have fitted in this one.
      const next = batches[index + 1]?.[0]
      if (next !== undefined) expect(bytes + entryBytes(next)).toBeGreaterThan(5 * MiB)
    })
  })

  it('fits five 1 MiB records (key included) in one request, not six', () => {
    const entries = Array.from({ length: 12 }, (_, index) => plain(`k${index % 10}`, MiB - 2))
    expect([...requests(entries)].map((batch) => batch.length)).toEqual([5, 5, 2])
  })

  it('counts partition keys in UTF-8 bytes, not UTF-16 code units', () => {
    // 64 emoji: 128 UTF-16 code units but 256 bytes on the wire. 500 such entries whose data fills the
    // request up to exactly 5 MiB when keys are miscounted as 128 bytes would exceed it by 64,000 bytes.
    const key = '🎬'.repeat(64)
    expect(Buffer.byteLength(key)).toBe(256)
    const dataBytes = Math.floor(5 * MiB / 500) - 128
    const entries = Array.from({ length: 500 }, () => plain(key, dataBytes))
    for (const batch of requests(entries)) {
      expect(batch.reduce((total, entry) => total + entryBytes(entry), 0)).toBeLessThanOrEqual(5 * MiB)
    }
  })
})
