// A ClickHouse column type, read from its name as system.columns spells it (schemas/tables.ts), into
// the shape the insert encoders need: what the value is on the wire, not what it means. Wrappers that
// change nothing in row formats (LowCardinality, SimpleAggregateFunction) are read through.

export type ColumnType =
  | { kind: 'string' }
  | { kind: 'int'; bytes: 1 | 2 | 4 | 8; signed: boolean }
  | { kind: 'float'; bytes: 4 | 8 }
  /** DateTime: seconds since the epoch, as UInt32. `utc` when the type names the UTC zone. */
  | { kind: 'datetime'; utc: boolean }
  /** DateTime64(p): ticks of 10^-p seconds since the epoch, as Int64. */
  | { kind: 'datetime64'; precision: number; utc: boolean }
  | { kind: 'nullable'; inner: ColumnType }
  | { kind: 'array'; element: ColumnType }
  | { kind: 'map'; key: ColumnType; value: ColumnType }
  /** Any type the encoders have no writer of their own for: sent as JSON for the server to read. */
  | { kind: 'other'; name: string }

const INTS: Record<string, { bytes: 1 | 2 | 4 | 8; signed: boolean }> = {
  UInt8: { bytes: 1, signed: false },
  UInt16: { bytes: 2, signed: false },
  UInt32: { bytes: 4, signed: false },
  UInt64: { bytes: 8, signed: false },
  Int8: { bytes: 1, signed: true },
  Int16: { bytes: 2, signed: true },
  Int32: { bytes: 4, signed: true },
  Int64: { bytes: 8, signed: true },
}

export function parseColumnType(name: string): ColumnType {
  const text = name.trim()
  const open = text.indexOf('(')
  const head = open === -1 ? text : text.slice(0, open)
  const args = open === -1 || !text.endsWith(')') ? [] : splitArguments(text.slice(open + 1, -1))
  const int = INTS[head]
  if (int !== undefined && open === -1) return { kind: 'int', ...int }
  switch (head) {
    case 'String':
      return open === -1 ? { kind: 'string' } : { kind: 'other', name: text }
    case 'Float32':
      return { kind: 'float', bytes: 4 }
    case 'Float64':
      return { kind: 'float', bytes: 8 }
    case 'DateTime':
      return { kind: 'datetime', utc: isUtc(args[0]) }
    case 'DateTime64': {
      const precision = Number(args[0])
      if (!Number.isInteger(precision) || precision < 0 || precision > 9) return { kind: 'other', name: text }
      return { kind: 'datetime64', precision, utc: isUtc(args[1]) }
    }
    case 'Nullable':
    case 'LowCardinality':
      return wrap(head, args, text)
    case 'SimpleAggregateFunction':
      return args.length === 2 ? parseColumnType(args[1] as string) : { kind: 'other', name: text }
    case 'Array':
      return args.length === 1 ? { kind: 'array', element: parseColumnType(args[0] as string) } : { kind: 'other', name: text }
    case 'Map':
      return args.length === 2 ? { kind: 'map', key: parseColumnType(args[0] as string), value: parseColumnType(args[1] as string) } : { kind: 'other', name: text }
    default:
      return { kind: 'other', name: text }
  }
}

function wrap(head: string, args: string[], text: string): ColumnType {
  if (args.length !== 1) return { kind: 'other', name: text }
  const inner = parseColumnType(args[0] as string)
  return head === 'Nullable' ? { kind: 'nullable', inner } : inner
}

/** A DateTime without a zone of its own reads text in the server's zone, which a client cannot know. */
function isUtc(zone: string | undefined): boolean {
  return zone !== undefined && /^'(UTC|Etc\/UTC|GMT)'$/.test(zone.trim())
}

/** Splits `a, Map(b, c), 'x,y'` at its top-level commas. */
function splitArguments(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '\\' && quoted) i++
    else if (char === "'") quoted = !quoted
    else if (!quoted && char === '(') depth++
    else if (!quoted && char === ')') depth--
    else if (!quoted && depth === 0 && char === ',') {
      parts.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(text.slice(start).trim())
  return parts
}

/** True when every part of the type has a binary (RowBinary) writer. */
export function isBinaryEncodable(type: ColumnType): boolean {
  switch (type.kind) {
    case 'other':
      return false
    case 'nullable':
      return isBinaryEncodable(type.inner)
    case 'array':
      return isBinaryEncodable(type.element)
    case 'map':
      return isBinaryEncodable(type.key) && isBinaryEncodable(type.value)
    case 'float':
      // A double rounded to Float32 here and its decimal text rounded by the server can differ in the
      // last bit, so Float32 goes as text.
      return type.bytes === 8
    case 'datetime':
    case 'datetime64':
    case 'string':
    case 'int':
      return true
  }
}
