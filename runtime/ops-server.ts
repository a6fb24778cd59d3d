// The operations endpoint every role serves: /metrics for Prometheus, /healthz (the process is alive
// and its event loop turns), /readyz (the source is connected and the sink is writable; 503 with the
// failing checks otherwise, so an orchestrator stops routing to it).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export type ReadinessChecks = Record<string, () => boolean | Promise<boolean>>

/** Extra GET routes by path (the live page of `pulse run` / `pulse process`): status, type, body. */
export type OpsRoutes = Record<string, () => Promise<{ status: number; type: string; body: string | Buffer }>>

export interface OpsServer {
  port: number
  close(): Promise<void>
}

export async function serveOps(registry: Registry, port: number, readiness: ReadinessChecks, host = '127.0.0.1', routes: OpsRoutes = {}): Promise<OpsServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const reply = async (): Promise<void> => {
      if (path === '/metrics') {
        const body = await registry.metrics()
        response.writeHead(200, { 'Content-Type': registry.contentType }).end(body)
      } else if (path === '/healthz') {
        response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n')
      } else if (path === '/readyz') {
        const failing = await failingChecks(readiness)
        const status = failing.length === 0 ? 200 : 503
        response.writeHead(status, { 'Content-Type': 'text/plain' }).end(failing.length === 0 ? 'ready\n' : `not ready: ${failing.join(', ')}\n`)
      } else if (Object.hasOwn(routes, path)) {
        const page = await (routes[path] as OpsRoutes[string])()
        response.writeHead(page.status, { 'Content-Type': page.type, 'Cache-Control': 'no-store' }).end(page.body)
      } else {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n')
      }
    }
    reply().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' })
      response.end(`${error instanceof Error ? error.message : String(error)}\n`)
    })
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => done())
  })
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) }
}

async function failingChecks(readiness: ReadinessChecks): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(readiness).map(async ([name, check]) => {
      try {
        return (await check()) ? undefined : name
      } catch {
        return name
      }
    }),
  )
  return results.filter((name) => name !== undefined)
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done())
    server.closeAllConnections()
  })
}
