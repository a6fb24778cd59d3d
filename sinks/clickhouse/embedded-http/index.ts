// Serves the embedded engine over ClickHouse's HTTP interface. libchdb lets only one process open a
// data directory, so while `pulse run` holds it, this is how `pulse query`, curl, @clickhouse/client
// or Grafana read the live data. It answers as a server does (errors.ts, request.ts, formats.ts) and
// is locked down by default: loopback only, no foreign Origin (guard.ts), users and grants as on the
// compose server (access.ts, auth.ts), one statement per request (statement.ts), each request on a
// session of its own so reads never stall the sink (session.ts), results streamed (execute.ts).
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChdbConnection } from 'chdb/connection'
import type { Logger } from 'pino'
import { httpUsers, NO_LIMITS, type HttpUser } from './access.ts'
import { authenticate } from './auth.ts'
import { readBody } from './body.ts'
import { asClickHouseError, ClickHouseHttpError, CODES } from './errors.ts'
import { execute, TOO_MANY } from './execute.ts'
import { checkBrowserGuards } from './guard.ts'
import { parseRequest } from './request.ts'
import { sendError } from './respond.ts'
import { openRequestSession } from './session.ts'

export { openEmbeddedAccess, type EmbeddedAccess } from './access.ts'

export interface EmbeddedHttpServer {
  port: number
  close(): Promise<void>
}

export interface EmbeddedHttpOptions {
  /** Origins (scheme://host:port) whose pages may send requests, e.g. a trusted dashboard. */
  allowedOrigins?: readonly string[]
  /** Queries running at once; more are refused (TOO_MANY_SIMULTANEOUS_QUERIES) rather than queued. */
  maxConcurrentQueries?: number
  /**
   * 'users' (the default) needs openEmbeddedAccess to have opened the engine: logins and grants as on
   * the server. 'unrestricted' serves every request as the engine's own user, for test harnesses that
   * stand the engine in for a server; the other guards still apply.
   */
  access?: 'users' | 'unrestricted'
}

interface Context {
  path: string
  users: HttpUser[]
  options: EmbeddedHttpOptions
  active: { count: number }
  logger: Logger
}

/** ClickHouse's default http_max_uri_size. */
const MAX_URI_BYTES = 1024 * 1024

export async function serveEmbeddedClickHouse(connection: ChdbConnection, port: number, logger: Logger, options: EmbeddedHttpOptions = {}): Promise<EmbeddedHttpServer> {
  const context: Context = { path: connection.chdb.session.path, users: httpUsers(), options, active: { count: 0 }, logger }
  // Query parameters travel in the URL (@clickhouse/client puts every query_params there), so a URL
  // is as long as its parameters: restoring a partition's open sessions sends thousands of ids. Node's
  // default 16 KiB header limit reset such a request (ECONNRESET, retried forever by the sink);
  // ClickHouse's own http_max_uri_size is 1 MiB.
  const server = createServer({ maxHeaderSize: MAX_URI_BYTES }, (request, response) => {
    handle(context, request, response).catch((error: unknown) => {
      const answer = asClickHouseError(error)
      if (httpStatusIsServerFault(answer)) logger.warn({ code: answer.code, err: answer.message }, 'query interface request failed')
      sendError(response, answer)
    })
  })
  await listen(server, port)
  return {
    port: (server.address() as AddressInfo).port,
    // Keep-alive sockets would otherwise go on serving the clients that hold them after close.
    close: () =>
      new Promise((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}

async function handle(context: Context, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost')
  checkBrowserGuards(request.headers, context.options.allowedOrigins ?? [])
  if (url.pathname === '/ping' || url.pathname === '/replicas_status' || (url.pathname === '/' && request.method === 'GET' && !url.searchParams.has('query'))) {
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n')
    return
  }
  if (url.pathname !== '/' || (request.method !== 'GET' && request.method !== 'POST')) throw new ClickHouseHttpError(CODES.NOT_IMPLEMENTED, `${request.method ?? ''} ${url.pathname} is not served: Pulse's embedded interface answers GET and POST on / and /ping. (NOT_IMPLEMENTED)`)
  if (/^multipart\//i.test(request.headers['content-type'] ?? '')) throw new ClickHouseHttpError(CODES.NOT_IMPLEMENTED, 'multipart/form-data requests (external tables, parameters in the body) are not supported by Pulse\'s embedded interface; pass parameters as param_NAME in the URL. (NOT_IMPLEMENTED)')
  const queryRequest = parseRequest(request.method, url, request.headers)
  const principal = context.options.access === 'unrestricted' ? undefined : authenticate(context.users, request.headers, url)
  const body = await readBody(request)
  const text = Buffer.concat(queryRequest.queryParam !== '' && body.length > 0 ? [Buffer.from(queryRequest.queryParam), Buffer.from('\n'), body] : [Buffer.from(queryRequest.queryParam), body])
  if (text.toString('utf8').trim() === '') throw new ClickHouseHttpError(CODES.SYNTAX_ERROR, 'Empty query. (SYNTAX_ERROR)')
  if (context.active.count >= (context.options.maxConcurrentQueries ?? 4)) throw TOO_MANY
  context.active.count++
  const queryId = queryRequest.queryId ?? randomUUID()
  const gone = new AbortController()
  response.once('close', () => {
    if (!response.writableFinished) gone.abort()
  })
  // Each principal runs under its own profile's limits, as on a server: the analysts' 60 s cut the
  // pipeline's own long restore reads short when it read state through this interface.
  const session = openRequestSession(context.path, principal?.limits ?? NO_LIMITS)
  try {
    await execute(session, { request: queryRequest, requestHeaders: request.headers, principal, queryId, response, signal: gone.signal }, text)
  } catch (error) {
    sendError(response, asClickHouseError(error), queryId)
  } finally {
    session.close()
    context.active.count--
  }
}

/** Refusals are the client's business; only the engine's own failures are worth a log line. */
function httpStatusIsServerFault(error: ClickHouseHttpError): boolean {
  return error.code === CODES.UNKNOWN_EXCEPTION
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail)
      done()
    })
  })
}
