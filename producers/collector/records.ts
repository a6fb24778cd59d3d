// Cuts a request body into the events it carries, whatever the client sent: a JSON array, newline-
// delimited JSON (one event a line), or Avro single-object records back to back (each one's length
// is known only by reading it with its writer schema). What cannot even be cut out is a candidate
// too, marked bad, so the response and the dead letters account for every part of the body.
import { findWriter, schemasOf, SINGLE_OBJECT_HEADER_BYTES } from '../../schemas/registry.ts'

export type Candidate =
  /** A parsed JSON value; `raw` is its line when the body was NDJSON (arrays have no per-item bytes). */
  | { form: 'json'; value: unknown; raw: Buffer | undefined }
  | { form: 'avro'; raw: Buffer }
  | { form: 'bad'; raw: Buffer; reason: 'malformed_json' | 'malformed_avro' | 'unknown_schema'; detail: string }

export function splitBody(body: Buffer): Candidate[] {
  const start = firstSignificant(body)
  if (body[start] === 0xc3 && body[start + 1] === 0x01) return splitAvro(body, start)
  if (body[start] === 0x5b) return splitArray(body)
  return splitLines(body)
}

function firstSignificant(body: Buffer): number {
  let i = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++
  return i
}

function splitArray(body: Buffer): Candidate[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    return [{ form: 'bad', raw: body, reason: 'malformed_json', detail: (error as Error).message.slice(0, 200) }]
  }
  return (parsed as unknown[]).map((value) => ({ form: 'json', value, raw: undefined }))
}

function splitLines(body: Buffer): Candidate[] {
  const candidates: Candidate[] = []
  let from = 0
  while (from < body.length) {
    let to = body.indexOf(0x0a, from)
    if (to < 0) to = body.length
    const line = body.subarray(from, to)
    from = to + 1
    if (line.toString('utf8').trim() === '') continue
    try {
      candidates.push({ form: 'json', value: JSON.parse(line.toString('utf8')), raw: line })
    } catch (error) {
      candidates.push({ form: 'bad', raw: line, reason: 'malformed_json', detail: (error as Error).message.slice(0, 200) })
    }
  }
  return candidates
}

/** Each record's end is where its writer schema's decode stops; an unreadable record ends the body. */
function splitAvro(body: Buffer, start: number): Candidate[] {
  const schemas = schemasOf('client_event')
  const candidates: Candidate[] = []
  let at = start
  while (at < body.length) {
    const rest = body.subarray(at)
    if (rest.length < SINGLE_OBJECT_HEADER_BYTES || rest[0] !== 0xc3 || rest[1] !== 0x01) {
      candidates.push({ form: 'bad', raw: rest, reason: 'malformed_avro', detail: `bytes at offset ${at} are not an Avro single-object record` })
      break
    }
    const writer = findWriter(schemas, rest.readUInt32LE(2), rest.readUInt32LE(6))
    if (writer === undefined) {
      candidates.push({ form: 'bad', raw: rest, reason: 'unknown_schema', detail: `record at offset ${at} has no known client_event fingerprint` })
      break
    }
    let end: number
    try {
      end = writer.type.decode(rest, SINGLE_OBJECT_HEADER_BYTES).offset
    } catch {
      end = -1
    }
    if (end < 0) {
      candidates.push({ form: 'bad', raw: rest, reason: 'malformed_avro', detail: `record at offset ${at} is truncated or malformed` })
      break
    }
    candidates.push({ form: 'avro', raw: rest.subarray(0, end) })
    at += end
  }
  return candidates
}
