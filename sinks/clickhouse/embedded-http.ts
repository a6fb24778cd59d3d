// Serves the embedded engine over ClickHouse's HTTP interface. libchdb lets only one process open a
// data directory, so while `pulse run` holds it, this is how `pulse query`, curl, @clickhouse/client
// or Grafana's ClickHouse data source read the live data. Like the real interface: the SQL is the
// `query` parameter followed by the request body, `default_format` picks the output format unless
// the query names one, `/ping` answers "Ok.", and errors carry ClickHouse's "Code: N. DB::Exception"
// text with the X-ClickHouse-Exception-Code header, and `param_*` values fill `{name:Type}`
// placeholders. Other per-request settings in the URL are ignored.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChdbConnection } from 'chdb/connection'
import type { DataFormat } from '@clickhouse/client'
import type { Logger } from 'pino'

export interface EmbeddedHttpServer {
  port: number
  close(): Promise<void>
}

const MAX_BODY_BYTES = 256 * 1024 * 1024

export async function serveEmbeddedClickHouse(connection: ChdbConnection, port: number, logger: Logger): Promise<EmbeddedHttpServer> {
  const server = createServer((request, response) => {
    handle(connection, request, response).catch((error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'query interface request failed')
      if (!response.headersSent) response.writeHead(500)
      response.end()
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

async function handle(connection: ChdbConnection, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost')
  if (url.pathname === '/ping' || (url.pathname === '/' && request.method === 'GET' && !url.searchParams.has('query'))) {
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n')
    return
  }
  const body = await readBody(request)
  const sql = [url.searchParams.get('query') ?? '', body].filter((part) => part !== '').join('\n')
  if (sql.trim() === '') {
    sendError(response, 400, 62, 'Empty query. (SYNTAX_ERROR)')
    return
  }
  const format = url.searchParams.get('default_format') ?? 'TabSeparated'
  const params = queryParams(url)
  try {
    if (params !== undefined) {
      await sendBound(connection, sql, params, format, response)
      return
    }
    const result = await connection.chdb.queryAsync(sql, { format })
    response.writeHead(200, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Format': format,
      'X-ClickHouse-Summary': JSON.stringify({ read_rows: String(result.rowsRead), read_bytes: String(result.bytesRead), elapsed_ns: String(Math.round(result.elapsed * 1e9)) }),
    })
    response.end(Buffer.from(result.bytes()))
  } catch (error) {
    const code = (error as { clickhouseCode?: unknown }).clickhouseCode
    const message = error instanceof Error ? error.message : String(error)
    sendError(response, 500, typeof code === 'number' ? code : 1000, message.replace(/^Code: \d+\. DB::Exception: /, ''))
  }
}

/** `{name:Type}` placeholders take their values from `param_name` URL parameters, as on a server. */
function queryParams(url: URL): Record<string, string> | undefined {
  const params: Record<string, string> = {}
  for (const [name, value] of url.searchParams) if (name.startsWith('param_')) params[name.slice('param_'.length)] = value
  return Object.keys(params).length === 0 ? undefined : params
}

/** A parameterised query goes through the connection's binding path (chDB binds server-side). */
async function sendBound(connection: ChdbConnection, sql: string, params: Record<string, string>, format: string, response: ServerResponse): Promise<void> {
  const result = await connection.query({ query: sql, query_params: params, clickhouse_settings: { default_format: format as DataFormat } })
  const chunks: Buffer[] = []
  for await (const chunk of result.stream) chunks.push(chunk as Buffer)
  response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Format': format })
  response.end(Buffer.concat(chunks))
}

function sendError(response: ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(code) })
  response.end(`Code: ${code}. DB::Exception: ${message}\n`)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    const buffer = chunk as Buffer
    size += buffer.byteLength
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
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
