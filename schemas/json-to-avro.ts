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

/** What a field holds; one switch writes them all (closures per type cost a megamorphic call each). */
const enum Kind {
  String,
  Int,
  Long,
  Enum,
}

interface Step {
  readonly name: string
  readonly kind: Kind
  /** Branch indices when the field is [null, X] or [X, null]; -1 when it is not nullable. */
  readonly nullIndex: number
  readonly valueIndex: number
  readonly symbols: ReadonlyMap<string, number> | undefined
  readonly timestampMillis: boolean
  /** The schema default a missing field takes; undefined when the field has none. */
  readonly fallback: unknown
  /** Set by the server from `serverValues`, whatever the client sent. */
  readonly server: boolean
}

/**
 * Writes `input` as the body of an Avro record into `out` (after `out.begin`) and returns the record
 * checkJsonRecord would return, or undefined when the input may not fit (nothing is then left in `out`).
 */
export type JsonToAvro = (input: Readonly<Record<string, unknown>>, out: AvroWriter, serverValues: Readonly<Record<string, unknown>>) => object | undefined

type RecordConstructor = new (...fieldValues: unknown[]) => object

type Shape = Pick<Step, 'kind' | 'nullIndex' | 'valueIndex' | 'symbols'>

function shapeOf(type: Type): Shape | undefined {
  if (type instanceof avsc.types.UnwrappedUnionType) {
    // Only [null, X] and [X, null]; wider unions are not compiled.
    const nullIndex = type.types.findIndex((branch) => branch.typeName === 'null')
    const other = type.types[1 - nullIndex]
    if (type.types.length !== 2 || nullIndex < 0 || other === undefined) return undefined
    const inner = shapeOf(other)
    return inner === undefined || inner.nullIndex >= 0 ? undefined : { ...inner, nullIndex, valueIndex: 1 - nullIndex }
  }
  const plain = { nullIndex: -1, valueIndex: -1, symbols: undefined }
  if (type instanceof avsc.types.EnumType) return { ...plain, kind: Kind.Enum, symbols: new Map(type.symbols.map((symbol, index) => [symbol, index])) }
  if (type.typeName === 'string') return { ...plain, kind: Kind.String }
  if (type.typeName === 'int') return { ...plain, kind: Kind.Int }
  if (type.typeName === 'long') return { ...plain, kind: Kind.Long }
  return undefined
}

/** Checks `value` as avsc does for the step's type and writes it; false when it does not fit. */
function write(step: Step, value: unknown, out: AvroWriter): boolean {
  if (step.nullIndex >= 0) {
    if (value === null) {
      out.long(step.nullIndex)
      return true
    }
    out.long(step.valueIndex)
  }
  switch (step.kind) {
    case Kind.String:
      return typeof value === 'string' && out.string(value)
    case Kind.Int:
      if (typeof value !== 'number' || value !== (value | 0)) return false
      out.long(value)
      return true
    case Kind.Long:
      if (typeof value !== 'number' || !Number.isInteger(value) || value > MAX_SAFE_LONG || value < -MAX_SAFE_LONG) return false
      out.long(value)
      return true
    case Kind.Enum: {
      const index = typeof value === 'string' ? step.symbols?.get(value) : undefined
      if (index === undefined) return false
      out.long(index)
      return true
    }
  }
}

/** The one-pass check-and-encode of `schemas`' latest version, or undefined if its shape is not covered. */
export function compileJsonToAvro(schemas: KindSchemas, serverFields: readonly string[] = []): JsonToAvro | undefined {
  const type = schemas.latest.type
  const steps: Step[] = []
  for (const [index, field] of type.fields.entries()) {
    const shape = shapeOf(field.type)
    if (shape === undefined) return undefined
    const timestampMillis = schemas.fields[index]?.timestampMillis ?? false
    steps.push({ ...shape, name: field.name, timestampMillis, fallback: field.defaultValue(), server: serverFields.includes(field.name) })
  }
  const Record = type.recordConstructor as RecordConstructor
  return (input, out, serverValues) => {
    const values = new Array<unknown>(steps.length)
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as Step
      let value = step.server ? serverValues[step.name] : Object.hasOwn(input, step.name) ? input[step.name] : undefined
      if (value === undefined) value = step.fallback
      else if (step.timestampMillis && typeof value === 'string') value = parseIsoMillis(value)
      if (!write(step, value, out)) {
        out.discard()
        return undefined
      }
      values[i] = value
    }
    // The record checkJsonRecord builds: same constructor, so one V8 hidden class for every record.
    return new Record(...values)
  }
}
