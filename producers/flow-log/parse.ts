// Reads a flow log file's lines in its format: the header line S3 delivery writes names the fields
// (and may be any custom format); without one, the format given (`--flow-log-format`, else AWS's
// version 2 default). A header naming an unknown field or lacking start/end refuses the file's
// records once, with the reason; every other line is a flow or an error with its reason.
import { DEFAULT_FORMAT, isHeaderLine, parseFlowLogFormat, type FlowLogFormat } from '../../schemas/flow-log/format.ts'
import { parseFlowLine } from '../../schemas/flow-log/line.ts'
import type { NetworkFlow } from '../../schemas/types.ts'

export type ParsedLine =
  | { kind: 'flow'; flow: NetworkFlow }
  | { kind: 'header'; refused?: string }
  | { kind: 'blank' }
  | { kind: 'error'; reason: string; detail: string; /** The line with its header: the processor re-reads it to dead-letter it. */ raw: string }

export class FlowLogReader {
  private format: FlowLogFormat
  private header: string
  private refused: string | undefined

  constructor(format: FlowLogFormat = DEFAULT_FORMAT) {
    this.format = format
    this.header = format.header
  }

  read(line: string): ParsedLine {
    const trimmed = line.trim()
    if (trimmed === '') return { kind: 'blank' }
    if (isHeaderLine(trimmed)) return this.readHeader(trimmed)
    const raw = `${this.header}\n${trimmed}`
    if (this.refused !== undefined) return { kind: 'error', reason: 'bad_format', detail: this.refused, raw }
    const parsed = parseFlowLine(trimmed, this.format)
    return parsed.ok ? { kind: 'flow', flow: parsed.flow } : { kind: 'error', reason: parsed.reason, detail: parsed.detail, raw }
  }

  private readHeader(header: string): ParsedLine {
    this.header = header
    const parsed = parseFlowLogFormat(header)
    if (!parsed.ok) {
      this.refused = parsed.reason
      return { kind: 'header', refused: parsed.reason }
    }
    this.refused = undefined
    this.format = parsed.format
    return { kind: 'header' }
  }
}
