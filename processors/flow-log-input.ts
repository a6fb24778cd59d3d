// Flow logs as AWS delivers them onto a stream, beside Pulse's own Avro and JSON: plain flow log
// text (one or more lines, an S3-style header line first setting their format) and CloudWatch Logs
// subscription records (gzip-compressed JSON: a DATA_MESSAGE carries log events whose messages are
// flow log lines, a CONTROL_MESSAGE only checks that the destination is reachable). One source
// record becomes its events, in order, each read in the record's or the stream's format.
import { isUtf8 } from 'node:buffer'
import { gunzipSync } from 'node:zlib'
import { isHeaderLine, parseFlowLogFormat, type FlowLogFormat } from '../schemas/flow-log/format.ts'
import { parseFlowLine, type LineResult } from '../schemas/flow-log/line.ts'
import { errorMessage } from '../runtime/errors.ts'

export interface FlowEvent {
  /** The event's own bytes (the line), what its dead letter keeps. */
  raw: Buffer
  parsed: LineResult
}

export type FlowInput =
  | { kind: 'events'; events: FlowEvent[] }
  | { kind: 'control' }
  | { kind: 'rejected'; reason: string; detail: string }
  /** Avro or JSON: the codec reads it. */
  | { kind: 'encoded' }

/** CloudWatch Logs puts at most ~1 MB compressed per record; a bomb past this is refused, not inflated. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024

function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

function isEncoded(bytes: Buffer): boolean {
  if (bytes.length >= 2 && bytes[0] === 0xc3 && bytes[1] === 0x01) return true
  // Confluent framing (magic 0): no text line starts with a NUL byte.
  if (bytes[0] === 0) return true
  const first = bytes.toString('utf8', 0, Math.min(bytes.length, 8)).trimStart()
  return first.startsWith('{') || bytes.length === 0
}

export function readFlowInput(bytes: Buffer, format: FlowLogFormat): FlowInput {
  if (isGzip(bytes)) return readSubscription(bytes, format)
  if (isEncoded(bytes)) return { kind: 'encoded' }
  // Flow log text is ASCII; toString would turn bad bytes into U+FFFD inside an id and store it.
  if (!isUtf8(bytes)) return { kind: 'rejected', reason: 'invalid_utf8', detail: 'flow log text is not valid UTF-8' }
  return { kind: 'events', events: readLines(bytes.toString('utf8').split(/\r?\n/), format) }
}

/** Lines of plain text; a header line (as S3 files start with) sets the format of those after it. */
function readLines(lines: readonly string[], streamFormat: FlowLogFormat): FlowEvent[] {
  let format: FlowLogFormat | string = streamFormat
  const events: FlowEvent[] = []
  for (const line of lines) {
    if (line.trim() === '') continue
    if (isHeaderLine(line)) {
      const parsed = parseFlowLogFormat(line)
      format = parsed.ok ? parsed.format : parsed.reason
      continue
    }
    events.push({ raw: Buffer.from(line, 'utf8'), parsed: lineIn(line, format) })
  }
  return events
}

function lineIn(line: string, format: FlowLogFormat | string): LineResult {
  return typeof format === 'string' ? { ok: false, reason: 'bad_format', detail: format } : parseFlowLine(line, format)
}

interface Subscription {
  messageType?: unknown
  logEvents?: unknown
}

function readSubscription(bytes: Buffer, format: FlowLogFormat): FlowInput {
  let envelope: Subscription
  try {
    envelope = JSON.parse(gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8')) as Subscription
  } catch (error) {
    return { kind: 'rejected', reason: 'malformed_envelope', detail: `gzip record is not a CloudWatch Logs subscription record: ${errorMessage(error).slice(0, 200)}` }
  }
  if (typeof envelope !== 'object' || (envelope as Subscription | null) === null) return { kind: 'rejected', reason: 'malformed_envelope', detail: 'not a JSON object' }
  if (envelope.messageType === 'CONTROL_MESSAGE') return { kind: 'control' }
  if (envelope.messageType !== 'DATA_MESSAGE' || !Array.isArray(envelope.logEvents)) {
    return { kind: 'rejected', reason: 'malformed_envelope', detail: `messageType ${JSON.stringify(envelope.messageType)} with ${Array.isArray(envelope.logEvents) ? 'logEvents' : 'no logEvents array'}` }
  }
  return { kind: 'events', events: envelope.logEvents.map((event: unknown) => subscriptionEvent(event, format)) }
}

function subscriptionEvent(event: unknown, format: FlowLogFormat): FlowEvent {
  const message = typeof event === 'object' && event !== null ? (event as { message?: unknown }).message : undefined
  if (typeof message !== 'string') {
    return { raw: Buffer.from(JSON.stringify(event), 'utf8'), parsed: { ok: false, reason: 'bad_field', detail: 'log event without a string message' } }
  }
  return { raw: Buffer.from(message, 'utf8'), parsed: parseFlowLine(message, format) }
}
