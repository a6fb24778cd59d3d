// Value writers for RowBinary, one per column type: what a ClickHouse server parses most cheaply
// after Native (DESIGN.md). Only values with one exact binary form are written here; anything else a
// text format would hand to the server to interpret (a number as text, a date in another spelling)
// throws NotBinary, and the block goes as JSONCompactEachRow instead (block-encoder.ts), so every
// format stores the same. Values no format may store (300 in a UInt8) are refused as in json-values.ts.
import { ByteWriter, utf8Into, utf8Length } from './byte-writer.ts'
import type { ColumnType } from './column-type.ts'
import { bigintFits, intRange, numberFits, refuse, ticksOfDate } from './numbers.ts'
import type { ValueWriter } from './json-values.ts'

/** This value has no binary form of its own here; the block is sent as text. */
export class NotBinary extends Error {}

const NOT_BINARY = new NotBinary('value without a binary form')

export function binaryWriter(type: ColumnType, column: string, typeName: string): ValueWriter {
  switch (type.kind) {
    case 'string':
      return stringWriter
    case 'int':
      return intWriter(type.bytes, type.signed, column, typeName)
    case 'float':
      return type.bytes === 8 ? float64Writer : notBinary
    case 'datetime':
      return dateTimeWriter(intWriter(4, false, column, typeName), 0, type.utc, column, typeName)
    case 'datetime64':
      return dateTimeWriter(intWriter(8, true, column, typeName), type.precision, type.utc, column, typeName)
    case 'nullable': {
      const inner = binaryWriter(type.inner, column, typeName)
      return (out, value) => {
        if (value === null || value === undefined) {
          out.byte(1)
          return
        }
        out.byte(0)
        inner(out, value)
      }
    }
    case 'array':
      return arrayWriter(binaryWriter(type.element, column, typeName))
    case 'map':
      return mapWriter(mapKeyWriter(type.key, column, typeName), binaryWriter(type.value, column, typeName))
    case 'other':
      return notBinary
  }
}

function notBinary(): never {
  throw NOT_BINARY
}

export function varint(out: ByteWriter, value: number): void {
  out.ensure(10)
  const { buf } = out
  let rest = value
  while (rest >= 0x80) {
    buf[out.pos++] = (rest % 0x80) | 0x80
    rest = Math.floor(rest / 0x80)
  }
  buf[out.pos++] = rest
}

function stringWriter(out: ByteWriter, value: unknown): void {
  // A null in a column that is not Nullable is its type's default, as the text formats store it.
  if (value === null || value === undefined) {
    out.byte(0)
    return
  }
  if (typeof value !== 'string') throw NOT_BINARY
  binaryString(out, value)
}

function binaryString(out: ByteWriter, text: string): void {
  // Most values are short ASCII (ids, codes, names): written in one pass behind a one-byte length,
  // and only text with other characters is measured first.
  const length = text.length
  if (length < 0x80) {
    out.ensure(length + 1)
    const { buf } = out
    const start = out.pos + 1
    let i = 0
    for (; i < length; i++) {
      const code = text.charCodeAt(i)
      if (code >= 0x80) break
      buf[start + i] = code
    }
    if (i === length) {
      buf[out.pos] = length
      out.pos = start + length
      return
    }
  }
  const bytes = utf8Length(text)
  varint(out, bytes)
  out.ensure(bytes)
  out.pos = utf8Into(out.buf, out.pos, text, 0)
}

function intWriter(bytes: 1 | 2 | 4 | 8, signed: boolean, column: string, typeName: string): ValueWriter {
  const range = intRange(bytes, signed)
  return (out, value) => {
    if (value === null || value === undefined) {
      zeros(out, bytes)
      return
    }
    if (typeof value === 'bigint') {
      if (!bigintFits(value, range)) refuse(column, typeName, value)
      if (bytes === 8) {
        int64(out, value)
        return
      }
      // Narrower columns hold it as a number exactly: the range check passed.
      value = Number(value)
    }
    if (typeof value !== 'number') throw NOT_BINARY
    if (!numberFits(value, range)) refuse(column, typeName, value)
    out.ensure(8)
    const { buf } = out
    if (bytes === 1) buf[out.pos] = value & 0xff
    else if (bytes === 2) buf.writeUInt16LE(value & 0xffff, out.pos)
    else if (bytes === 4) buf.writeUInt32LE(value >>> 0, out.pos)
    else if (value >= 0) {
      const low = value % 0x1_0000_0000
      buf.writeUInt32LE(low, out.pos)
      buf.writeUInt32LE((value - low) / 0x1_0000_0000, out.pos + 4)
    } else buf.writeBigInt64LE(BigInt(value), out.pos)
    out.pos += bytes
  }
}

function int64(out: ByteWriter, value: bigint): void {
  out.ensure(8)
  out.buf.writeBigUInt64LE(BigInt.asUintN(64, value), out.pos)
  out.pos += 8
}

function zeros(out: ByteWriter, bytes: number): void {
  out.ensure(bytes)
  out.buf.fill(0, out.pos, out.pos + bytes)
  out.pos += bytes
}

function float64Writer(out: ByteWriter, value: unknown): void {
  if (value === null || value === undefined) {
    zeros(out, 8)
    return
  }
  if (typeof value !== 'number') throw NOT_BINARY
  out.ensure(8)
  out.buf.writeDoubleLE(value, out.pos)
  out.pos += 8
}

/** 'YYYY-MM-DD hh:mm:ss[.fraction]', the spelling Pulse's rows and ClickHouse's output use. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/

function dateTimeWriter(ticks: ValueWriter, precision: number, utc: boolean, column: string, typeName: string): ValueWriter {
  return (out, value) => {
    if (value instanceof Date) {
      ticks(out, ticksOfDate(value, precision, column, typeName))
      return
    }
    if (typeof value !== 'string') {
      ticks(out, value)
      return
    }
    const match = utc ? DATE_TIME.exec(value) : null
    if (match === null) throw NOT_BINARY
    const [, year, month, day, hour, minute, second, fraction = ''] = match
    const seconds = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)) / 1000
    // A date the calendar does not have (02-30) is the server's to judge, in the text format.
    if (new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ') !== value.slice(0, 19)) throw NOT_BINARY
    const digits = fraction.padEnd(precision, '0').slice(0, precision)
    if (fraction.length > precision) throw NOT_BINARY
    ticks(out, seconds * 10 ** precision + (digits === '' ? 0 : Number(digits)))
  }
}

function arrayWriter(element: ValueWriter): ValueWriter {
  return (out, value) => {
    if (value === null || value === undefined) {
      out.byte(0)
      return
    }
    if (!Array.isArray(value)) throw NOT_BINARY
    varint(out, value.length)
    for (let i = 0; i < value.length; i++) element(out, value[i])
  }
}

/** Map keys come as object keys, i.e. strings; a numeric key type takes their decimal spelling only. */
function mapKeyWriter(type: ColumnType, column: string, typeName: string): ValueWriter {
  const inner = binaryWriter(type, column, typeName)
  if (type.kind !== 'int') return inner
  return (out, key) => {
    if (typeof key === 'string') {
      if (!/^-?(0|[1-9]\d{0,15})$/.test(key)) throw NOT_BINARY
      inner(out, Number(key))
      return
    }
    inner(out, key)
  }
}

function mapWriter(key: ValueWriter, entry: ValueWriter): ValueWriter {
  return (out, value) => {
    if (value === null || value === undefined) {
      out.byte(0)
      return
    }
    if (typeof value !== 'object' || Array.isArray(value)) throw NOT_BINARY
    if (value instanceof Map) {
      varint(out, value.size)
      for (const [name, item] of value) {
        key(out, name)
        entry(out, item)
      }
      return
    }
    const names = Object.keys(value)
    varint(out, names.length)
    for (const name of names) {
      key(out, name)
      entry(out, (value as Record<string, unknown>)[name])
    }
  }
}
