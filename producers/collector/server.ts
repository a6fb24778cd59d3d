// The collector's HTTP side: routes, CORS for the configured web origins, JSON answers, and the
// request metrics. What a request means is the handler's job (handler.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { EventHandler, Reply } from './handler.ts'
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
  const server = createServer((request, response) => {
    const started = performance.now()
    route(request, origins, options.handler)
      .catch((error: unknown): Reply => {
        // The message may quote a header; never the request's key (requestKey is not logged anywhere).
        options.logger.error({ err: error instanceof Error ? error.message : String(error) }, 'collector request failed')
        return { status: 500, headers: {}, body: { error: 'internal error' } }
      })
      .then((reply) => {
        send(response, reply, corsHeaders(request, origins))
        options.metrics.requests.inc({ status: String(reply.status) })
        options.metrics.requestSeconds.observe((performance.now() - started) / 1000)
      })
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
  const url = new URL(request.url ?? '/', 'http://collector')
  const origin = request.headers.origin
  if (url.pathname === '/healthz') return { status: 200, headers: {}, body: { ok: true } }
  if (url.pathname !== EVENTS_PATH) return { status: 404, headers: {}, body: { error: `not found: POST ${EVENTS_PATH}` } }
  // A page may send only from a configured origin; apps and servers send no Origin at all.
  if (origin !== undefined && !origins.has(origin)) return { status: 403, headers: {}, body: { error: 'origin not allowed' } }
  if (request.method === 'OPTIONS') return { status: 204, headers: {}, body: undefined }
  if (request.method !== 'POST') return { status: 405, headers: { Allow: 'POST, OPTIONS' }, body: { error: 'use POST' } }
  return handler.handle(request, url)
}

function corsHeaders(request: IncomingMessage, origins: ReadonlySet<string>): Record<string, string> {
  const origin = request.headers.origin
  if (origin === undefined || !origins.has(origin)) return {}
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Content-Encoding',
    'Access-Control-Expose-Headers': 'Retry-After',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  }
}

function send(response: ServerResponse, reply: Reply, cors: Record<string, string>): void {
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
