// One pass from a parsed JSON object to Avro bytes of the latest schema: each field is checked as
// checkJsonRecord checks it and written as avsc writes it, in the same walk, instead of building the
// record, checking it with avsc and then encoding it (which checks it again). Compiled once per kind
// from the schema, for records of primitive fields and [null, X] unions; any other schema compiles
// to undefined and callers keep the general path. The pass is generated as source, one block per
// field (see generate), so each field's read and check is its own monomorphic code.
//
// It may refuse more than checkJsonRecord (a string with a lone surrogate, an exotic enum value) but
// never less: a caller that sees undefined runs checkJsonRecord for the verdict and the message. It
// also leaves to that path any input whose prototype is not Object.prototype (or null).

import avsc from 'avsc'
import type { Type } from 'avsc'
import { AvroWriter, MAX_SAFE_LONG } from './avro-writer.ts'
import { parseIsoMillis } from './json-input.ts'
import type { KindSchemas } from './registry.ts'

export { AvroWriter } from './avro-writer.ts'

/** What a field holds, which decides the check and the write generated for it. */
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
  return generate(steps, type.recordConstructor as RecordConstructor)
}

/**
 * The pass as straight-line source, one block per field, compiled once. A loop over the fields reads
 * `input[step.name]` with a different key each time, a megamorphic keyed load, and needs
 * `Object.hasOwn` to keep inherited names out; written out per field, each read has one constant
 * name and the hidden class JSON.parse gives every event, so V8 turns it into a fixed-offset load.
 * Field names come from the schema (avsc allows only [A-Za-z_][A-Za-z0-9_]*) and enter the source
 * as JSON string literals; defaults and enum symbols are passed in as values, never as source.
 */
function generate(steps: readonly Step[], recordConstructor: RecordConstructor): JsonToAvro {
  const context: Record<string, unknown> = { recordConstructor, parseIsoMillis, MAX_SAFE_LONG, ObjectPrototype: Object.prototype }
  const blocks = steps.map((step, i) => {
    context[`fallback${i}`] = step.fallback
    context[`symbols${i}`] = step.symbols
    return fieldSource(step, i)
  })
  const values = steps.map((_, i) => `v${i}`).join(', ')
  const source = `'use strict'
const { ${Object.keys(context).join(', ')} } = context
return function jsonToAvro(input, out, serverValues) {
  // Only JSON.parse's kind of object: any other prototype could lend a missing field a value.
  const prototype = Object.getPrototypeOf(input)
  if (prototype !== ObjectPrototype && prototype !== null) return undefined
${blocks.join('\n')}
  // The record checkJsonRecord builds: same constructor, so one V8 hidden class for every record.
  return new recordConstructor(${values})
}`
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated once from the schema (see above), as avsc generates its own codecs
  const factory = new Function('context', source) as (context: Record<string, unknown>) => JsonToAvro
  return factory(context)
}

/** One field: read it, take the default or parse an ISO time, then check and write it as avsc would. */
function fieldSource(step: Step, i: number): string {
  const v = `v${i}`
  const key = JSON.stringify(step.name)
  // A name Object.prototype also has (toString, constructor) would be found there when missing.
  const read = step.server ? `serverValues[${key}]` : step.name in Object.prototype ? `(Object.hasOwn(input, ${key}) ? input[${key}] : undefined)` : `input[${key}]`
  const lines = [`  let ${v} = ${read}`, `  if (${v} === undefined) ${v} = fallback${i}`]
  if (step.timestampMillis) lines.push(`  else if (typeof ${v} === 'string') ${v} = parseIsoMillis(${v})`)
  const write = valueSource(step, v, i)
  if (step.nullIndex < 0) lines.push(`  ${write}`)
  else lines.push(`  if (${v} === null) out.small(${step.nullIndex})`, `  else { out.small(${step.valueIndex}); ${write} }`)
  return lines.join('\n')
}

/** Checks `v` as avsc does for the step's type and writes it; what does not fit discards the record. */
function valueSource(step: Step, v: string, i: number): string {
  const refuse = '{ out.discard(); return undefined }'
  switch (step.kind) {
    case Kind.String:
      return `if (typeof ${v} !== 'string' || !out.string(${v})) ${refuse}`
    case Kind.Int:
      return `if (typeof ${v} !== 'number' || ${v} !== (${v} | 0)) ${refuse}; out.long(${v})`
    case Kind.Long:
      return `if (typeof ${v} !== 'number' || !Number.isInteger(${v}) || ${v} > MAX_SAFE_LONG || ${v} < -MAX_SAFE_LONG) ${refuse}; out.long(${v})`
    case Kind.Enum:
      return `const e${i} = typeof ${v} === 'string' ? symbols${i}.get(${v}) : undefined; if (e${i} === undefined) ${refuse}; out.${(step.symbols?.size ?? 0) <= 64 ? 'small' : 'long'}(e${i})`
  }
}
