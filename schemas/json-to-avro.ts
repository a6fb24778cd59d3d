// One pass from a parsed JSON object to Avro bytes of the latest schema: each field is checked as
// checkJsonRecord checks it and written as avsc writes it, in the same walk, instead of building the
// record, checking it with avsc and then encoding it (which checks it again). Compiled once per kind
// from the schema, for records of primitive fields and [null, X] unions; any other schema compiles
// to undefined and callers keep the general path.
//
// It may refuse more than checkJsonRecord (a string with a lone surrogate, an exotic enum value) but
// never less: a caller that sees undefined runs checkJsonRecord for the verdict and the message.

import avsc from 'avsc'
import type { Type } from 'avsc'
import { AvroWriter, MAX_SAFE_LONG } from './avro-writer.ts'
import { parseIsoMillis } from './json-input.ts'
import type { KindSchemas } from './registry.ts'

export { AvroWriter } from './avro-writer.ts'

/** Checks and writes one value; false when it does not fit (the record is then discarded). */
type Write = (value: unknown, out: AvroWriter) => boolean

interface Step {
  name: string
  timestampMillis: boolean
  /** The schema default a missing field takes; undefined when the field has none. */
  fallback: unknown
  /** Set by the server from `serverValues`, whatever the client sent. */
  server: boolean
  write: Write
}

/**
 * Writes `input` as the body of an Avro record into `out` (after `out.begin`) and returns the record
 * checkJsonRecord would return, or undefined when the input may not fit (nothing is then left in `out`).
 */
export type JsonToAvro = (input: Readonly<Record<string, unknown>>, out: AvroWriter, serverValues: Readonly<Record<string, unknown>>) => object | undefined

type RecordConstructor = new (...fieldValues: unknown[]) => object

const writeString: Write = (value, out) => typeof value === 'string' && out.string(value)
const writeInt: Write = (value, out) => {
  if (typeof value !== 'number' || value !== (value | 0)) return false
  out.long(value)
  return true
}
const writeLong: Write = (value, out) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value > MAX_SAFE_LONG || value < -MAX_SAFE_LONG) return false
  out.long(value)
  return true
}

function enumWriter(symbols: readonly string[]): Write {
  const indices = new Map(symbols.map((symbol, index) => [symbol, index]))
  return (value, out) => {
    const index = typeof value === 'string' ? indices.get(value) : undefined
    if (index === undefined) return false
    out.long(index)
    return true
  }
}

/** [null, X] or [X, null]: the branch index, then the value. Wider unions are not compiled. */
function nullableWriter(branches: readonly Type[]): Write | undefined {
  if (branches.length !== 2) return undefined
  const nullIndex = branches.findIndex((branch) => branch.typeName === 'null')
  const other = branches[1 - nullIndex]
  const inner = nullIndex < 0 || other === undefined ? undefined : writerOf(other)
  if (inner === undefined) return undefined
  const otherIndex = 1 - nullIndex
  return (value, out) => {
    if (value === null) {
      out.long(nullIndex)
      return true
    }
    out.long(otherIndex)
    return inner(value, out)
  }
}

function writerOf(type: Type): Write | undefined {
  if (type instanceof avsc.types.UnwrappedUnionType) return nullableWriter(type.types)
  if (type instanceof avsc.types.EnumType) return enumWriter(type.symbols)
  switch (type.typeName) {
    case 'string':
      return writeString
    case 'int':
      return writeInt
    case 'long':
      return writeLong
    default:
      return undefined
  }
}

/** The one-pass check-and-encode of `schemas`' latest version, or undefined if its shape is not covered. */
export function compileJsonToAvro(schemas: KindSchemas, serverFields: readonly string[] = []): JsonToAvro | undefined {
  const type = schemas.latest.type
  const steps: Step[] = []
  for (const [index, field] of type.fields.entries()) {
    const write = writerOf(field.type)
    if (write === undefined) return undefined
    const info = schemas.fields[index]
    steps.push({ name: field.name, timestampMillis: info?.timestampMillis ?? false, fallback: field.defaultValue(), server: serverFields.includes(field.name), write })
  }
  const Record = type.recordConstructor as RecordConstructor
  return (input, out, serverValues) => {
    const values: unknown[] = []
    for (const step of steps) {
      let value = step.server ? serverValues[step.name] : Object.hasOwn(input, step.name) ? input[step.name] : undefined
      if (value === undefined) value = step.fallback
      else if (step.timestampMillis && typeof value === 'string') value = parseIsoMillis(value)
      if (!step.write(value, out)) {
        out.discard()
        return undefined
      }
      values.push(value)
    }
    // The record checkJsonRecord builds: same constructor, so one V8 hidden class for every record.
    return new Record(...values)
  }
}
