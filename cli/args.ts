// Command-line parsing: every setting's flag comes from the config bindings, so a flag, its
// environment variable and its config-file key can never drift apart.
import { parseArgs } from 'node:util'
import { SETTING_BINDINGS } from '../runtime/config.ts'
import { ConfigError } from '../runtime/errors.ts'

export interface ParsedArgs {
  command: string | undefined
  positionals: string[]
  flags: Record<string, string | boolean | undefined>
  /** `--param name=value` (repeatable, for `pulse report`), in order; absent when none was given. */
  params?: string[]
  /** `--id ID` (repeatable, for `pulse dead-letters replay`); absent when none was given. */
  ids?: string[]
}

const EXTRA_FLAGS = {
  config: { type: 'string' },
  format: { type: 'string' },
  file: { type: 'string' },
  assignments: { type: 'string' },
  since: { type: 'string' },
  param: { type: 'string', multiple: true },
  stage: { type: 'string' },
  reason: { type: 'string' },
  id: { type: 'string', multiple: true },
  'to-stream': { type: 'string' },
  again: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
} as const

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { ...EXTRA_FLAGS }
  for (const binding of SETTING_BINDINGS) options[binding.flag] = { type: binding.type === 'boolean' ? 'boolean' : 'string' }
  // A boolean that defaults to true can only be switched off by its --no- form (--no-dedup).
  const negatable = SETTING_BINDINGS.filter((binding) => binding.type === 'boolean').map((binding) => binding.flag)
  for (const flag of negatable) options[`no-${flag}`] = { type: 'boolean' }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error))
  }
  const { param, id, ...values } = parsed.values
  const flags: Record<string, string | boolean | undefined> = {}
  const negations = new Set(negatable.map((flag) => `no-${flag}`))
  for (const [name, value] of Object.entries(values)) if (!negations.has(name)) flags[name] = value as string | boolean | undefined
  const params = Array.isArray(param) ? param.filter((item): item is string => typeof item === 'string') : []
  const ids = Array.isArray(id) ? id.filter((item): item is string => typeof item === 'string') : []
  for (const flag of negatable) if (values[`no-${flag}`] === true) flags[flag] = false
  const [command, ...positionals] = parsed.positionals
  return { command, positionals, flags, ...(params.length > 0 ? { params } : {}), ...(ids.length > 0 ? { ids } : {}) }
}
