// Decides event by event what the collector takes: the schema (JSON checked as the codec checks it,
// Avro decoded by its writer schema) and then the pipeline's own rules, handed in by whoever builds
// the collector (producers never import processors). An accepted event goes on the stream as Avro
// single-object bytes of the latest schema, the form the generators write and the processors read
// fastest, with received_at stamped; a rejected one keeps the bytes the client sent, for the dead
// letter and its replay. JSON objects take the one-pass check-and-encode (schemas/json-to-avro.ts)
// into shared slabs; what it does not take goes the general way, which also says why.
import { decode, encode } from '../../schemas/codec.ts'
import { checkJsonRecord } from '../../schemas/json-input.ts'
import { compileJsonToAvro, type AvroWriter } from '../../schemas/json-to-avro.ts'
import { schemasOf } from '../../schemas/registry.ts'
import type { ClientEvent } from '../../schemas/types.ts'
import type { Candidate } from './records.ts'

const SCHEMAS = schemasOf('client_event')
/** The server's receipt time, whatever a client put in the field. */
const STAMPED = ['received_at'] as const
const jsonToAvro = compileJsonToAvro(SCHEMAS, STAMPED)

/** The pipeline's rules beyond the schema: a reason and detail when `event` breaks one. */
export type EventCheck = (event: ClientEvent, receivedAtMs: number) => { reason: string; detail: string } | undefined

export type Admission =
  | { ok: true; event: ClientEvent; bytes: Buffer; size: number }
  | { ok: false; reason: string; detail: string; raw: Buffer; size: number; eventId: string | undefined }

/** The verdict on every event of a request's body, in order; accepted events are written into `out`. */
export function admitAll(candidates: readonly Candidate[], check: EventCheck, receivedAtMs: number, out: AvroWriter): Admission[] {
  const stamp = { received_at: receivedAtMs }
  return candidates.map((candidate) => admit(candidate, check, receivedAtMs, out, stamp))
}

function admit(candidate: Candidate, check: EventCheck, receivedAtMs: number, out: AvroWriter, stamp: { received_at: number }): Admission {
  if (candidate.form === 'bad') return rejected(candidate.reason, candidate.detail, candidate.raw, undefined)
  if (candidate.form === 'json' && jsonToAvro !== undefined && isObject(candidate.value)) {
    out.begin(SCHEMAS.latest.header)
    // checkJsonRecord builds the record with the latest schema's own constructor, and so does this.
    const event = jsonToAvro(candidate.value, out, stamp) as ClientEvent | undefined
    if (event !== undefined) {
      const problem = check(event, receivedAtMs)
      if (problem !== undefined) {
        out.discard()
        return rejected(problem.reason, problem.detail, rawOf(candidate), event.event_id)
      }
      const bytes = out.finish()
      return { ok: true, event, bytes, size: candidate.raw?.length ?? bytes.length }
    }
  }
  const decoded = candidate.form === 'avro' ? fromAvro(candidate.raw) : fromJson(candidate.value)
  if (!decoded.ok) return rejected(decoded.reason, decoded.detail, rawOf(candidate), idOf(candidate))
  const event = { ...decoded.event, ...stamp }
  const problem = check(event, receivedAtMs)
  if (problem !== undefined) return rejected(problem.reason, problem.detail, rawOf(candidate), event.event_id)
  const bytes = encode('client_event', event)
  return { ok: true, event, bytes, size: candidate.raw?.length ?? bytes.length }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
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
  if (!isObject(value)) return { ok: false, reason: 'malformed_json', detail: 'an event must be a JSON object' }
  // received_at is the server's: a client's value, even a malformed one, is not the client's problem.
  const checked = checkJsonRecord(SCHEMAS, { ...value, received_at: undefined })
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
