// Messages that name the offending fields of a record that does not fit its schema. They end up in
// dead-letter records and thrown errors, so they say which field, what was expected and what came.

import avsc from 'avsc'
import type { Type } from 'avsc'

const PREVIEW_CHARS = 60
const PREVIEW_DEPTH = 3

/**
 * A short rendering of a bad value: enough to recognise it, never a whole payload. Built by hand to a
 * bounded depth and length: JSON.stringify of a value nested thousands deep (10 KB of brackets is
 * enough) overflows the stack, and one such record must not stop its partition.
 */
export function preview(value: unknown): string {
  if (value === undefined) return 'missing'
  const text = render(value, PREVIEW_DEPTH)
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 3)}...` : text
}

function render(value: unknown, depth: number): string {
  if (Array.isArray(value)) {
    if (depth === 0) return '[...]'
    return `[${value.slice(0, 4).map((item) => render(item, depth - 1)).join(',')}${value.length > 4 ? ',...' : ''}]`
  }
  if (typeof value === 'object' && value !== null) {
    if (depth === 0) return '{...}'
    const entries = Object.entries(value).slice(0, 4)
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${render(item, depth - 1)}`).join(',')}}`
  }
  // JSON.stringify writes Infinity (JSON's 1e999) and NaN as null, which would name the wrong value.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  const text = JSON.stringify(value) as string | undefined
  return text ?? typeof value
}

function describeType(type: Type): string {
  if (type instanceof avsc.types.EnumType) return `one of ${type.symbols.join('|')}`
  if (type instanceof avsc.types.UnwrappedUnionType) return type.types.map(describeType).join(' or ')
  return type.typeName
}

/** One message per offending field, from avsc's own check so the rules are exactly the schema's. */
export function schemaProblems(type: Type, record: unknown, skipFields: ReadonlySet<string> = new Set()): string[] {
  const problems: string[] = []
  type.isValid(record, {
    errorHook: (path, value: unknown, fieldType) => {
      const name = path.join('.')
      if (!skipFields.has(name)) problems.push(`${name || '(record)'}: expected ${describeType(fieldType)}, got ${preview(value)}`)
    },
  })
  return problems
}
