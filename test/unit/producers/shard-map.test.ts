// Which shard a partition key lands in, the way Kinesis decides it: MD5 of the key as a 128-bit
// big-endian number, looked up in the open shards' inclusive hash-key ranges.

import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashKeyOf, shardFor, type ShardRange } from '../../../producers/kinesis/shard-map.ts'

/** MD5 of the key's UTF-8 bytes read byte by byte as a big-endian unsigned integer. */
function md5BigEndian(key: string): bigint {
  let value = 0n
  for (const byte of createHash('md5').update(Buffer.from(key, 'utf8')).digest()) value = (value << 8n) | BigInt(byte)
  return value
}

const MAX = 2n ** 128n - 1n

// The ranges Kinesis gives a stream created with 2 and with 4 shards (as ListShards reports them).
const TWO_SHARDS: ShardRange[] = [
  { shardId: 'shardId-000000000000', start: 0n, end: BigInt('170141183460469231731687303715884105727') },
  { shardId: 'shardId-000000000001', start: BigInt('170141183460469231731687303715884105728'), end: BigInt('340282366920938463463374607431768211455') },
]
const FOUR_SHARDS: ShardRange[] = [
  { shardId: 'shardId-000000000000', start: 0n, end: BigInt('85070591730234615865843651857942052863') },
  { shardId: 'shardId-000000000001', start: BigInt('85070591730234615865843651857942052864'), end: BigInt('170141183460469231731687303715884105727') },
  { shardId: 'shardId-000000000002', start: BigInt('170141183460469231731687303715884105728'), end: BigInt('255211775190703847597530955573826158591') },
  { shardId: 'shardId-000000000003', start: BigInt('255211775190703847597530955573826158592'), end: BigInt('340282366920938463463374607431768211455') },
]

describe('the split fixtures', () => {
  it('are even splits covering 0 .. 2^128 - 1 without gaps or overlaps', () => {
    for (const ranges of [TWO_SHARDS, FOUR_SHARDS]) {
      const width = 2n ** 128n / BigInt(ranges.length)
      ranges.forEach((range, index) => {
        expect(range.start).toBe(width * BigInt(index))
        expect(range.end).toBe(width * BigInt(index + 1) - 1n)
      })
      expect(ranges.at(-1)?.end).toBe(MAX)
    }
  })
})

describe('hashKeyOf', () => {
  it('is the MD5 of the key read as a 128-bit big-endian integer', () => {
    for (const key of ['', 'a', 'device-42', 'ключ-🎬', 'x'.repeat(256), '0']) expect(hashKeyOf(key), key).toBe(md5BigEndian(key))
  })

  it('matches the MD5 test vectors of RFC 1321', () => {
    expect(hashKeyOf('')).toBe(BigInt('0xd41d8cd98f00b204e9800998ecf8427e'))
    expect(hashKeyOf('abc')).toBe(BigInt('0x900150983cd24fb0d6963f7d28e17f72'))
  })

  it('keeps leading zero bytes (a value below 2^120 is still a full 128-bit hash)', () => {
    // Find a key whose MD5 starts with a zero byte; it must hash below 2^120, not be shifted up.
    let key = ''
    for (let index = 0; ; index++) {
      key = `k${index}`
      if (createHash('md5').update(key).digest()[0] === 0) break
    }
    expect(hashKeyOf(key) < 2n ** 120n).toBe(true)
    expect(hashKeyOf(key)).toBe(md5BigEndian(key))
  })
})

describe('shardFor', () => {
  it('includes both ends of every range', () => {
    for (const ranges of [TWO_SHARDS, FOUR_SHARDS]) {
      for (const range of ranges) {
        expect(shardFor(ranges, range.start)?.shardId).toBe(range.shardId)
        expect(shardFor(ranges, range.end)?.shardId).toBe(range.shardId)
      }
    }
  })

  it('splits at 2^127 for two shards', () => {
    expect(shardFor(TWO_SHARDS, 2n ** 127n - 1n)?.shardId).toBe('shardId-000000000000')
    expect(shardFor(TWO_SHARDS, 2n ** 127n)?.shardId).toBe('shardId-000000000001')
  })

  it('picks the range holding each key\'s hash, for both splits', () => {
    const seen = new Map<number, Set<string>>([
      [2, new Set()],
      [4, new Set()],
    ])
    for (let index = 0; index < 200; index++) {
      const key = `device-${index}`
      const hash = md5BigEndian(key)
      for (const ranges of [TWO_SHARDS, FOUR_SHARDS]) {
        // Independently: an even split of n shards puts hash h in shard floor(h * n / 2^128).
        const expected = ranges[Number((hash * BigInt(ranges.length)) >> 128n)]
        expect(shardFor(ranges, hashKeyOf(key)), key).toBe(expected)
        seen.get(ranges.length)?.add(expected?.shardId ?? '')
      }
    }
    // 200 keys reach every shard of both splits, so every range was exercised.
    expect(seen.get(2)?.size).toBe(2)
    expect(seen.get(4)?.size).toBe(4)
  })

  it('finds no shard for a hash outside every range (e.g. a shard map missing a closed parent\'s children)', () => {
    expect(shardFor(TWO_SHARDS.slice(0, 1), 2n ** 127n)).toBeUndefined()
    expect(shardFor([], 0n)).toBeUndefined()
  })
})
