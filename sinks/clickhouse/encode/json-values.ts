// Value writers for JSONCompactEachRow, one per column type. For the values Pulse's rows hold (strings,
// numbers, null, arrays, plain objects for maps) they write exactly the bytes JSON.stringify would,
// without building the row array or the string, with three deliberate differences: a bigint is
// written as its digits (JSON.stringify throws), a JS Map as the object it stands for (JSON.stringify
// writes {}), and a Float's NaN and ±Infinity as "nan" / "inf" / "-inf", which ClickHouse reads back
// as those values (JSON.stringify writes null, stored as 0). A lone surrogate becomes U+FFFD (see
// byte-writer.ts). Any other value goes through JSON.stringify for the server to read as it did.
import { ByteWriter, utf8Into } from './byte-writer.ts'
import type { ColumnType } from './column-type.ts'
import { bigintFits, intRange, numberFits, refuse, ticksOfDate } from './numbers.ts'

export type ValueWriter = (out: ByteWriter, value: unknown) => void

export function jsonWriter(type: ColumnType, column: string, typeName: string): ValueWriter {
  switch (type.kind) {
    case 'string':
      return (out, value) => (typeof value === 'string' ? jsonString(out, value) : asJson(out, value))
    case 'int':
      return intWriter(type.bytes, type.signed, column, typeName)
    case 'float':
      return floatWriter
    case 'datetime':
      return dateTimeWriter(intWriter(4, false, column, typeName), 0, column, typeName)
    case 'datetime64':
      return dateTimeWriter(intWriter(8, true, column, typeName), type.precision, column, typeName)
    case 'nullable': {
      const inner = jsonWriter(type.inner, column, typeName)
      return (out, value) => (value === null || value === undefined ? out.ascii('null') : inner(out, value))
    }
    case 'array':
      return arrayWriter(jsonWriter(type.element, column, typeName))
    case 'map':
      return mapWriter(jsonWriter(type.value, column, typeName))
    case 'other':
      return asJson
  }
}

/** What JSON.stringify writes for the value inside an array; a bigint as its digits. */
export function asJson(out: ByteWriter, value: unknown): void {
  if (typeof value === 'bigint') {
    out.ascii(value.toString())
    return
  }
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    text = undefined
  }
  if (text === undefined) {
    out.ascii('null')
    return
  }
  const at = out.pos
  out.ensure(text.length * 3)
  out.pos = utf8Into(out.buf, at, text, 0)
}

function intWriter(bytes: 1 | 2 | 4 | 8, signed: boolean, column: string, typeName: string): ValueWriter {
  const range = intRange(bytes, signed)
  return (out, value) => {
    if (typeof value === 'number') {
      if (!numberFits(value, range)) refuse(column, typeName, value)
      if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
        out.decimal(value)
        return
      }
      // Beyond 2^53 String() would print the shortest round-trip digits, not the integer itself.
      out.ascii(Number.isSafeInteger(value) ? String(value) : BigInt(value).toString())
      return
    }
    if (typeof value === 'bigint') {
      if (!bigintFits(value, range)) refuse(column, typeName, value)
      out.ascii(value.toString())
      return
    }
    asJson(out, value)
  }
}

function floatWriter(out: ByteWriter, value: unknown): void {
  if (typeof value !== 'number') {
    asJson(out, value)
    return
  }
  if (Number.isFinite(value)) {
    out.ascii(Object.is(value, -0) ? '-0' : String(value))
    return
  }
  out.ascii(Number.isNaN(value) ? '"nan"' : value > 0 ? '"inf"' : '"-inf"')
}

function dateTimeWriter(ticks: ValueWriter, precision: number, column: string, typeName: string): ValueWriter {
  return (out, value) => ticks(out, value instanceof Date ? ticksOfDate(value, precision, column, typeName) : value)
}

function arrayWriter(element: ValueWriter): ValueWriter {
  return (out, value) => {
    if (!Array.isArray(value)) {
      asJson(out, value)
      return
    }
    out.byte(0x5b)
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.byte(0x2c)
      element(out, value[i])
    }
    out.byte(0x5d)
  }
}

function mapWriter(entry: ValueWriter): ValueWriter {
  return (out, value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      asJson(out, value)
      return
    }
    out.byte(0x7b)
    let first = true
    const pair = (key: unknown, item: unknown): void => {
      if (!first) out.byte(0x2c)
      first = false
      jsonString(out, String(key))
      out.byte(0x3a)
      entry(out, item)
    }
    if (value instanceof Map) for (const [key, item] of value) pair(key, item)
    else for (const key of Object.keys(value)) pair(key, (value as Record<string, unknown>)[key])
    out.byte(0x7d)
  }
}

const HEX = '0123456789abcdef'
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, 0x22: 0x22, 0x5c: 0x5c }

/** A JSON string literal, escaped as JSON.stringify escapes it. */
export function jsonString(out: ByteWriter, text: string): void {
  out.ensure(text.length * 6 + 2)
  const { buf } = out
  let at = out.pos
  buf[at++] = 0x22
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) {
      // Past ASCII nothing needs escaping: the rest goes as UTF-8, escapes included by the slow path.
      at = jsonTail(buf, at, text, i)
      break
    }
    if (code >= 0x20 && code !== 0x22 && code !== 0x5c) buf[at++] = code
    else at = escape(buf, at, code)
  }
  buf[at++] = 0x22
  out.pos = at
}

/** The rest of a string from its first non-ASCII unit: ASCII still escaped, the rest as UTF-8. */
function jsonTail(buf: Buffer, at: number, text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code < 0x80) {
      if (code >= 0x20 && code !== 0x22 && code !== 0x5c) buf[at++] = code
      else at = escape(buf, at, code)
    } else if (code < 0x800) {
      buf[at++] = 0xc0 | (code >> 6)
      buf[at++] = 0x80 | (code & 0x3f)
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = text.charCodeAt(i + 1)
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          at = utf8Into(buf, at, text.slice(i, i + 2), 0)
          i++
          continue
        }
        code = 0xfffd
      }
      buf[at++] = 0xe0 | (code >> 12)
      buf[at++] = 0x80 | ((code >> 6) & 0x3f)
      buf[at++] = 0x80 | (code & 0x3f)
    }
  }
  return at
}

function escape(buf: Buffer, at: number, code: number): number {
  buf[at++] = 0x5c
  const short = SHORT_ESCAPES[code]
  if (short !== undefined) {
    buf[at++] = short
    return at
  }
  buf[at++] = 0x75
  buf[at++] = 0x30
  buf[at++] = 0x30
  buf[at++] = HEX.charCodeAt(code >> 4)
  buf[at++] = HEX.charCodeAt(code & 15)
  return at
}
