// A flow log's format: which fields its records hold, in which order. Read from AWS's own syntax
// (`${version} ${vpc-id} ${srcaddr} ...`, what `--log-format` takes and `describe-flow-logs` prints)
// or from the header line S3 delivery writes at the top of every file (`version vpc-id srcaddr ...`).
// A format is refused whole, once, when it names an unknown field or lacks start or end: without
// them a record cannot be placed in event time.
import { DEFAULT_FIELD_NAMES, flowLogField, type FlowLogField } from './fields.ts'

export interface FlowLogFormat {
  readonly fields: readonly FlowLogField[]
  /** AWS's rule for the version field: the highest version among the format's fields. */
  readonly version: number
  /** The format as a header line, so a line can travel with its format (see line.ts). */
  readonly header: string
}

export type FormatResult = { ok: true; format: FlowLogFormat } | { ok: false; reason: string }

/** Names of a `${a} ${b}` format or of a header line, whichever the text is. */
function fieldNames(text: string): string[] {
  const trimmed = text.trim()
  if (trimmed.includes('${')) return [...trimmed.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1] ?? '')
  return trimmed.split(/\s+/).filter((name) => name !== '')
}

export function formatOf(names: readonly string[]): FormatResult {
  if (names.length === 0) return { ok: false, reason: 'the format names no field' }
  const fields: FlowLogField[] = []
  for (const name of names) {
    const known = flowLogField(name)
    if (known === undefined) return { ok: false, reason: `"${name}" is not a VPC flow log field of versions 2 to 8` }
    if (fields.includes(known)) return { ok: false, reason: `"${name}" appears twice in the format` }
    fields.push(known)
  }
  const missing = ['start', 'end'].filter((name) => !names.includes(name))
  if (missing.length > 0) {
    return { ok: false, reason: `the format lacks ${missing.join(' and ')}: its records cannot be placed in event time (add \${start} \${end} to the flow log's format)` }
  }
  const version = Math.max(...fields.map((entry) => entry.version))
  return { ok: true, format: { fields, version, header: names.join(' ') } }
}

/** A format in AWS's `${field}` syntax or as a header line. */
export function parseFlowLogFormat(text: string): FormatResult {
  return formatOf(fieldNames(text))
}

export const DEFAULT_FORMAT: FlowLogFormat = (() => {
  const parsed = formatOf(DEFAULT_FIELD_NAMES)
  if (!parsed.ok) throw new Error(parsed.reason)
  return parsed.format
})()

/** True when every token of the line is a field name: the header line of an S3 file. */
export function isHeaderLine(line: string): boolean {
  const tokens = line.trim().split(/\s+/)
  return tokens.length > 0 && tokens[0] !== '' && tokens.every((token) => flowLogField(token) !== undefined)
}

/** The configured format (`--flow-log-format`), already checked at start-up; empty text is the default format. */
export function configuredFormat(text: string): FlowLogFormat {
  if (text.trim() === '') return DEFAULT_FORMAT
  const parsed = parseFlowLogFormat(text)
  if (!parsed.ok) throw new Error(`flow log format: ${parsed.reason}`)
  return parsed.format
}
