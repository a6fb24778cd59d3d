// A stand-in for a schema registry, speaking the part of Confluent's REST API that registry clients
// and Pulse use (register under a subject, schema by id, subject config), with basic auth, and a
// switch that makes it answer 503 as a registry that is down. Used because no real registry starts
// on these machines (README, "Schema registry"): the client library on the other side is the real one.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

export interface RegistryStandIn {
  url: string
  /** While true every request is answered 503. */
  down: boolean
  /** Requests answered 503 so far. */
  refused: number
}

interface State {
  schemas: string[]
  configs: Map<string, string>
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' })
  response.end(JSON.stringify(body))
}

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>)
}

function route(state: State, method: string, path: string, body: Record<string, unknown>, response: ServerResponse): void {
  const byId = /^\/schemas\/ids\/(\d+)$/.exec(path)
  if (method === 'GET' && byId !== null) {
    const schema = state.schemas[Number(byId[1]) - 1]
    if (schema === undefined) reply(response, 404, { error_code: 40403, message: 'Schema not found' })
    else reply(response, 200, { schema })
    return
  }
  const config = /^\/config\/([^/]+)$/.exec(path)
  if (config !== null) {
    const subject = decodeURIComponent(config[1] ?? '')
    if (method === 'PUT') state.configs.set(subject, String(body.compatibility))
    const level = state.configs.get(subject)
    if (level === undefined) reply(response, 404, { error_code: 40401, message: 'Subject not found' })
    else reply(response, 200, { compatibilityLevel: level, compatibility: level })
    return
  }
  if (method === 'POST' && /^\/subjects\/[^/]+\/versions$/.test(path)) {
    // The same schema text under any subject keeps its id, as Confluent's registry does.
    const schema = JSON.stringify(JSON.parse(String(body.schema)))
    let index = state.schemas.indexOf(schema)
    if (index < 0) index = state.schemas.push(schema) - 1
    reply(response, 200, { id: index + 1 })
    return
  }
  reply(response, 404, { error_code: 404, message: `no route ${method} ${path}` })
}

export async function startRegistryStandIn(credentials: { username: string; password: string }): Promise<RegistryStandIn> {
  const state: State = { schemas: [], configs: new Map() }
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
  const standIn: RegistryStandIn = { url: '', down: false, refused: 0 }
  const server = createServer((request, response) => {
    if (standIn.down) {
      standIn.refused++
      reply(response, 503, { error_code: 50003, message: 'registry unavailable' })
      return
    }
    if (request.headers.authorization !== expected) {
      reply(response, 401, { error_code: 40101, message: 'Unauthorized' })
      return
    }
    bodyOf(request)
      .then((body) => route(state, request.method ?? 'GET', new URL(request.url ?? '/', 'http://x').pathname, body, response))
      .catch((error: unknown) => reply(response, 500, { error_code: 50001, message: String(error) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return standIn
}
