// Messages that name the offending fields of a record that does not fit its schema. They end up in
// dead-letter records and thrown errors, so they say which field, what was expected and what came.

import avsc from 'avsc'
import type { Type } from 'avsc'

/** A short rendering of a bad value: enough to recognise it, never a whole payload. */
export function preview(value: unknown): string {
  if (value === undefined) return 'missing'
  const text = JSON.stringify(value) as string | undefined
  if (text === undefined) return typeof value
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
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
