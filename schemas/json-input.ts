// The JSON side of decode: plain JSON as a foreign producer writes it (not Avro's JSON encoding, so a
// nullable field is `null` or its value, never `{"string": ...}`), checked against the latest schema.

import avsc from 'avsc'
import type { KindSchemas } from './registry.ts'
import { preview, schemaProblems } from './validation.ts'

export type JsonCheck = { ok: true; value: object } | { ok: false; detail: string }

type RecordConstructor = new (...fieldValues: unknown[]) => object

// RFC 3339 / ISO-8601 date-time with a mandatory zone: a zone-less time would be read as the consumer's
// local time (Date.parse does exactly that), so the same record would mean different instants per host.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * Epoch ms of a strict ISO-8601 date-time, or undefined. Hand-rolled because Date.parse accepts
 * `2024-02-30` (as March 1st), `24:00` and zone-less local times. Sub-millisecond digits are truncated.
 * Years before 100 are refused: Date.UTC maps them to 19xx, and no event is that old.
 */
export function parseIsoMillis(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number]
  const second = Number(m[6] ?? 0)
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))
  const offsetMinutes = m[8] === undefined ? Number(m[10]) * 60 + Number(m[11] ?? 0) : 0
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59 || offsetMinutes > 23 * 60 + 59) return undefined
  const sign = m[9] === '-' ? -1 : 1
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - sign * offsetMinutes * 60_000
}

/** No field of Pulse's schemas nests at all; a little room for future ones, far below stack depth. */
const MAX_NESTING = 32

/** True when arrays or objects in `value` nest more than `limit` levels (walked without recursion). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  let level: unknown[] = [value]
  for (let depth = 1; level.length > 0; depth++) {
    if (depth > limit) return true
    level = level.flatMap((item): unknown[] => (typeof item === 'object' && item !== null ? Object.values(item) : [])).filter((item) => typeof item === 'object' && item !== null)
  }
  return false
}

/**
 * The record `input` stands for in the latest schema. Fields the schema lacks are ignored rather than
 * rejected: client apps ship on their own schedule, and a newer app adding a field must not dead-letter
 * its traffic before the pipeline learns the field; Avro schema resolution drops unknown writer fields
 * the same way. Missing fields take the schema default (null for every nullable one); a missing field
 * without a default is a mismatch.
 */
export function checkJsonRecord(schemas: KindSchemas, input: Readonly<Record<string, unknown>>): JsonCheck {
  const tooDeep = schemas.fields.find((field) => nestedDeeperThan(input[field.name], MAX_NESTING))
  // avsc's checks coerce a value to a string (an array joins its items recursively), so a field
  // holding thousands of nested arrays would overflow the stack: refused before anything looks at it.
  if (tooDeep !== undefined) return { ok: false, detail: `${tooDeep.name}: nested deeper than ${MAX_NESTING} levels` }
  const values: unknown[] = []
  const badTimestamps = new Set<string>()
  for (const field of schemas.fields) {
    let value = Object.hasOwn(input, field.name) ? input[field.name] : undefined
    if (field.timestampMillis && typeof value === 'string') {
      const millis = parseIsoMillis(value)
      if (millis === undefined) badTimestamps.add(field.name)
      value = millis ?? value
    }
    values.push(value)
  }
  // avsc's record constructor fills schema defaults for undefined (missing) fields, and gives JSON and
  // Avro records one class, so downstream code sees one V8 hidden class.
  const type = schemas.latest.type
  const record = new (type.recordConstructor as RecordConstructor)(...values)
  const inherited = inheritedEnumProblems(type, values)
  if (badTimestamps.size === 0 && inherited.length === 0 && type.isValid(record)) return { ok: true, value: record }
  const timestampProblems = [...badTimestamps].map(
    (name) => `${name}: ${preview(input[name])} is neither epoch milliseconds nor an ISO-8601 time with a zone`,
  )
  return { ok: false, detail: [...timestampProblems, ...inherited, ...schemaProblems(type, record, badTimestamps)].join('; ') }
}

const enumFieldsCache = new WeakMap<avsc.types.RecordType, readonly (readonly [number, string, ReadonlySet<string>])[]>()

/** Each enum field (alone or in a union) by position, with its symbols. */
function enumFields(type: avsc.types.RecordType): readonly (readonly [number, string, ReadonlySet<string>])[] {
  let fields = enumFieldsCache.get(type)
  if (fields === undefined) {
    fields = type.fields.flatMap((field, index) => {
      const branches = field.type instanceof avsc.types.UnwrappedUnionType ? field.type.types : [field.type]
      const symbols = branches.flatMap((branch) => (branch instanceof avsc.types.EnumType ? branch.symbols : []))
      return symbols.length === 0 ? [] : [[index, field.name, new Set(symbols)] as const]
    })
    enumFieldsCache.set(type, fields)
  }
  return fields
}

/**
 * avsc looks enum symbols up in a plain object, so it takes "constructor" or "toString" for a symbol
 * and writes them as the first one (an accepted event would land as another event type): refused here.
 */
function inheritedEnumProblems(type: avsc.types.RecordType, values: readonly unknown[]): string[] {
  const problems: string[] = []
  for (const [index, name, symbols] of enumFields(type)) {
    const value = values[index]
    if (typeof value === 'string' && !symbols.has(value) && value in Object.prototype) problems.push(`${name}: expected one of ${[...symbols].join('|')}, got ${preview(value)}`)
  }
  return problems
}
