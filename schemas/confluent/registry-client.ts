// A small client of a schema registry's Confluent-compatible REST API (Confluent Schema Registry,
// Apicurio's /apis/ccompat/v7, Karapace, Redpanda): a schema by id, and registering one under a
// subject. Failures say whether retrying can help: the registry down or overloaded (connection
// refused, 5xx, 429) is retriable; an unknown id is an answer (undefined), not an error; refused
// credentials or a malformed answer are configuration faults and are not retried.
import { PulseError } from '../../runtime/errors.ts'

export interface RegistryClientOptions {
  /** Base URL, e.g. http://registry:8081 or http://apicurio:8080/apis/ccompat/v7. */
  url: string
  username?: string | undefined
  password?: string | undefined
  timeoutMs?: number
}

const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/json'

export class SchemaRegistryClient {
  private readonly base: string
  private readonly headers: Record<string, string>

  constructor(private readonly options: RegistryClientOptions) {
    this.base = options.url.replace(/\/+$/, '')
    this.headers = { accept: ACCEPT, 'content-type': 'application/vnd.schemaregistry.v1+json' }
    if (options.username !== undefined && options.username !== '') {
      this.headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
    }
  }

  /** The writer schema (Avro JSON text) with this id; undefined when the registry has no such id. */
  async schemaById(id: number): Promise<string | undefined> {
    const response = await this.call('GET', `/schemas/ids/${id}`)
    if (response.status === 404) return undefined
    const body = (await this.json(response, `schema ${id}`)) as { schema?: unknown; schemaType?: unknown }
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') throw new PulseError(`schema ${id} is ${JSON.stringify(body.schemaType)}, not Avro`, { retriable: false })
    if (typeof body.schema !== 'string') throw new PulseError(`the registry's answer for schema ${id} has no schema`, { retriable: false })
    return body.schema
  }

  /** Registers (or finds) `schema` under `subject`; returns its id. */
  async register(subject: string, schema: string): Promise<number> {
    const response = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, JSON.stringify({ schema }))
    const body = (await this.json(response, `registering under ${subject}`)) as { id?: unknown }
    if (typeof body.id !== 'number') throw new PulseError(`the registry returned no id registering under ${subject}`, { retriable: false })
    return body.id
  }

  private async call(method: string, path: string, body?: string): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, { method, headers: this.headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000), ...(body === undefined ? {} : { body }) })
    } catch (error) {
      throw new PulseError(`schema registry ${this.base} unreachable: ${error instanceof Error ? error.message : String(error)}`, { retriable: true, cause: error })
    }
  }

  private async json(response: Response, what: string): Promise<unknown> {
    if (response.ok) return response.json()
    const text = (await response.text()).slice(0, 300)
    const retriable = response.status >= 500 || response.status === 429 || response.status === 408
    throw new PulseError(`schema registry ${this.base}: ${what}: HTTP ${response.status} ${text}`, { retriable })
  }
}
