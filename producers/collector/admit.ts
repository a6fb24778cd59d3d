// Decides event by event what the collector takes: the schema (JSON checked as the codec checks it,
// Avro decoded by its writer schema) and then the pipeline's own rules, handed in by whoever builds
// the collector (producers never import processors). An accepted event goes on the stream as Avro
// single-object bytes of the latest schema, the form the generators write and the processors read
// fastest; a rejected one keeps the bytes the client sent, for the dead letter and its replay.
import { decode, encode } from '../../schemas/codec.ts'
import { checkJsonRecord } from '../../schemas/json-input.ts'
import { schemasOf } from '../../schemas/registry.ts'
import type { ClientEvent } from '../../schemas/types.ts'
import type { Candidate } from './records.ts'

/** The pipeline's rules beyond the schema: a reason and detail when `event` breaks one. */
export type EventCheck = (event: ClientEvent, receivedAtMs: number) => { reason: string; detail: string } | undefined

export type Admission =
  | { ok: true; event: ClientEvent; bytes: Buffer; size: number }
  | { ok: false; reason: string; detail: string; raw: Buffer; size: number; eventId: string | undefined }

export function admit(candidate: Candidate, check: EventCheck, receivedAtMs: number): Admission {
  if (candidate.form === 'bad') return rejected(candidate.reason, candidate.detail, candidate.raw, undefined)
  const decoded = candidate.form === 'avro' ? fromAvro(candidate.raw) : fromJson(candidate.value)
  if (!decoded.ok) return rejected(decoded.reason, decoded.detail, rawOf(candidate), idOf(candidate))
  const problem = check(decoded.event, receivedAtMs)
  if (problem !== undefined) return rejected(problem.reason, problem.detail, rawOf(candidate), decoded.event.event_id)
  const bytes = encode('client_event', decoded.event)
  return { ok: true, event: decoded.event, bytes, size: candidate.raw?.length ?? bytes.length }
}

/** The bytes the client sent for this event; an array's item is rendered again (only when rejected). */
function rawOf(candidate: Exclude<Candidate, { form: 'bad' }>): Buffer {
  if (candidate.form === 'avro') return candidate.raw
  return candidate.raw ?? Buffer.from(JSON.stringify(candidate.value))
}

type Decoded = { ok: true; event: ClientEvent } | { ok: false; reason: string; detail: string }

function fromAvro(raw: Buffer): Decoded {
  const decoded = decode('client_event', raw)
  return decoded.ok ? { ok: true, event: decoded.value } : decoded
}

function fromJson(value: unknown): Decoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'malformed_json', detail: 'an event must be a JSON object' }
  const checked = checkJsonRecord(schemasOf('client_event'), value as Record<string, unknown>)
  // checkJsonRecord builds the record with the latest schema's own constructor, so it is a ClientEvent.
  return checked.ok ? { ok: true, event: checked.value as ClientEvent } : { ok: false, reason: 'schema_mismatch', detail: checked.detail }
}

function rejected(reason: string, detail: string, raw: Buffer, eventId: string | undefined): Admission {
  return { ok: false, reason, detail, raw, size: raw.length, eventId }
}

/** The client's event id when one can be read, so the response can name the event it refused. */
function idOf(candidate: Candidate): string | undefined {
  if (candidate.form !== 'json' || typeof candidate.value !== 'object' || candidate.value === null) return undefined
  const id = (candidate.value as Record<string, unknown>).event_id
  return typeof id === 'string' ? id : undefined
}
