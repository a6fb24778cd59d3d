// The collector's HTTP side: routes, CORS for the configured web origins, JSON answers, and the
// request metrics. What a request means is the handler's job (handler.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { NO_HEADERS, type EventHandler, type Reply } from './handler.ts'
import type { CollectorMetrics } from './metrics.ts'

export const EVENTS_PATH = '/v1/events'

export interface CollectorServerOptions {
  host: string
  port: number
  allowedOrigins: readonly string[]
  handler: EventHandler
  metrics: CollectorMetrics
  logger: Logger
}

export interface CollectorServer {
  port: number
  close(): Promise<void>
}

export async function serveCollector(options: CollectorServerOptions): Promise<CollectorServer> {
  const origins = new Set(options.allowedOrigins)
  const { metrics } = options
  const server = createServer((request, response) => {
    const started = performance.now()
    const answer = (reply: Reply): void => {
      send(response, reply, corsHeaders(request, origins))
      metrics.request(reply.status)
      metrics.requestSeconds.observe((performance.now() - started) / 1000)
    }
    const failed = (error: unknown): void => {
      // The message may quote a header; never the request's key (requestKey is not logged anywhere).
      options.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'collector request failed')
      answer({ status: 500, headers: NO_HEADERS, body: { error: 'internal error' } })
    }
    route(request, origins, options.handler)
      .then(answer, failed)
      .catch(() => response.destroy())
  })
  // Beacons and batches are small: a client that sends nothing for 10 s is not a client worth a socket.
  server.requestTimeout = 10_000
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(options.port, options.host, () => done())
  })
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) }
}

async function route(request: IncomingMessage, origins: ReadonlySet<string>, handler: EventHandler): Promise<Reply> {
  const target = request.url ?? '/'
  // Most requests are exactly POST /v1/events: the URL parser only for the rest (queries, odd paths).
  const path = target === EVENTS_PATH ? EVENTS_PATH : new URL(target, 'http://collector').pathname
  const origin = request.headers.origin
  if (path === '/healthz') return { status: 200, headers: NO_HEADERS, body: { ok: true } }
  if (path !== EVENTS_PATH) return { status: 404, headers: NO_HEADERS, body: { error: `not found: POST ${EVENTS_PATH}` } }
  // A page may send only from a configured origin; apps and servers send no Origin at all.
  if (origin !== undefined && !origins.has(origin)) return { status: 403, headers: NO_HEADERS, body: { error: 'origin not allowed' } }
  if (request.method === 'OPTIONS') return { status: 204, headers: NO_HEADERS, body: undefined }
  if (request.method !== 'POST') return { status: 405, headers: { Allow: 'POST, OPTIONS' }, body: { error: 'use POST' } }
  return handler.handle(request, target)
}

const JSON_ONLY: Readonly<Record<string, string>> = Object.freeze({ 'Content-Type': 'application/json' })

function corsHeaders(request: IncomingMessage, origins: ReadonlySet<string>): Readonly<Record<string, string>> {
  const origin = request.headers.origin
  if (origin === undefined || !origins.has(origin)) return NO_HEADERS
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Content-Encoding',
    'Access-Control-Expose-Headers': 'Retry-After',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  }
}

function send(response: ServerResponse, reply: Reply, cors: Readonly<Record<string, string>>): void {
  // Most answers carry no header of their own: those are written without merging empty objects.
  if (cors === NO_HEADERS && reply.headers === NO_HEADERS && reply.status !== 413) {
    if (reply.body === undefined) response.writeHead(reply.status).end()
    else response.writeHead(reply.status, JSON_ONLY).end(JSON.stringify(reply.body))
    return
  }
  const headers: Record<string, string> = { ...cors, ...reply.headers }
  // A refused body may still be arriving: close rather than read megabytes nobody wants.
  if (reply.status === 413) headers.Connection = 'close'
  if (reply.body === undefined) {
    response.writeHead(reply.status, headers).end()
    return
  }
  response.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(reply.body))
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done())
    server.closeAllConnections()
  })
}
