// Varints are the one part of protobuf where a sign or a 32-bit shortcut silently corrupts data.

import { describe, expect, it } from 'vitest'
import { ProtoReader, ProtoWireError, varintSize, writeVarint } from '../../../schemas/protobuf-wire.ts'

function varint(value: number): Buffer {
  const buf = Buffer.alloc(10)
  return buf.subarray(0, writeVarint(buf, 0, value))
}

describe('varints', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'], // the protobuf documentation's example
    [2 ** 31, '8080808008'],
    [2 ** 32 + 1, '8180808010'],
    [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f'],
  ])('writes %d as %s, sizes it, and reads it back', (value, hex) => {
    expect(varint(value).toString('hex')).toBe(hex)
    expect(varintSize(value)).toBe(hex.length / 2)
    expect(new ProtoReader(Buffer.from(hex, 'hex')).readVarint()).toBe(value)
  })

  it.each([
    ['truncated', '8080'],
    ['past 2^53', 'ffffffffffffffff7f'],
    ['longer than 10 bytes', '8080808080808080808001'],
  ])('refuses a %s varint', (_what, hex) => {
    expect(() => new ProtoReader(Buffer.from(hex, 'hex')).readVarint()).toThrow(ProtoWireError)
  })

  it('refuses a length-delimited field longer than what is left', () => {
    expect(() => new ProtoReader(Buffer.from('0a05616263', 'hex'), 1).readBytes()).toThrow(ProtoWireError)
  })

  it('skips fixed-width fields and refuses group wire types', () => {
    const reader = new ProtoReader(Buffer.from('09' + '00'.repeat(8) + '15' + '00'.repeat(4) + '1b', 'hex'))
    reader.skip(reader.readKey())
    reader.skip(reader.readKey())
    expect(() => {
      reader.skip(reader.readKey())
    }).toThrow(/wire type 3/)
  })
})
