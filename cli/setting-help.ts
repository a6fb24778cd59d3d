// Each setting's help line, read from the configuration schema itself (description, default, allowed
// values), so `pulse --help` says what runtime/config.ts enforces and cannot drift from it.
import { z } from 'zod'
import { configSchema, SETTING_BINDINGS, type SettingBinding } from '../runtime/config.ts'

interface FieldDef {
  type: string
  defaultValue?: unknown
  innerType?: z.ZodType
  entries?: Record<string, string>
}

function defOf(schema: z.ZodType): FieldDef {
  return (schema as unknown as { _zod: { def: FieldDef } })._zod.def
}

/** The schema of a dotted settings path, looking through defaults, prefaults and optionals. */
function fieldAt(path: string): z.ZodType | undefined {
  let current: z.ZodType | undefined = configSchema
  for (const part of path.split('.')) {
    let object = current
    while (object !== undefined && !(object instanceof z.ZodObject)) object = defOf(object).innerType
    current = object?.shape[part] as z.ZodType | undefined
  }
  return current
}

function allowedValues(schema: z.ZodType): string[] | undefined {
  let inner: z.ZodType | undefined = schema
  while (inner !== undefined && defOf(inner).entries === undefined) inner = defOf(inner).innerType
  const entries = inner === undefined ? undefined : defOf(inner).entries
  return entries === undefined ? undefined : Object.values(entries)
}

function shownDefault(schema: z.ZodType): string {
  const def = defOf(schema)
  if (def.type !== 'default') return 'unset'
  const value = def.defaultValue
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',')
  return value === '' ? '""' : String(value)
}

export function settingHelp(binding: SettingBinding): string {
  const field = fieldAt(binding.path)
  const description = field?.description ?? ''
  const allowed = field === undefined ? undefined : allowedValues(field)
  const facts = [`default ${field === undefined ? 'unset' : shownDefault(field)}`, ...(allowed === undefined ? [] : [`one of ${allowed.join('|')}`]), binding.env]
  return `  --${binding.flag.padEnd(26)} ${description}\n  ${''.padEnd(28)} (${facts.join('; ')})`
}

export function settingsHelp(): string {
  return SETTING_BINDINGS.map(settingHelp).join('\n')
}
