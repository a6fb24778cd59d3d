// A request read the way ClickHouse's HTTP interface reads it: the SQL is the `query` parameter
// followed by the body, `param_*` fill `{name:Type}`, the database and output format come from the
// URL or the X-ClickHouse-* headers, and every other URL parameter is a setting for the query, which
// the engine itself accepts or refuses (UNKNOWN_SETTING). Parameters that belong to the HTTP layer
// are taken out here; those this interface cannot honour are refused, never dropped.
import type { IncomingHttpHeaders } from 'node:http'
import { ClickHouseHttpError, CODES } from './errors.ts'

export interface QueryRequest {
  method: string
  queryParam: string
  database: string | undefined
  defaultFormat: string
  queryId: string | undefined
  role: string | undefined
  /** readonly asked for in the URL (0 when not). */
  readonly: number
  settings: [string, string][]
  params: [string, string][]
  /** Compress the response as the client's Accept-Encoding allows (enable_http_compression=1). */
  compressResponse: boolean
  /** wait_end_of_query=1: the whole result before the first byte, so any error gets its status. */
  waitEndOfQuery: boolean
}

/** HTTP-layer parameters this interface honours (or, for progress and buffering hints, may leave unused). */
const HTTP_LAYER = new Set(['query', 'database', 'default_format', 'user', 'password', 'query_id', 'role', 'readonly', 'enable_http_compression', 'http_zlib_compression_level', 'wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms', 'buffer_size', 'http_response_buffer_size', 'quota_key', 'stacktrace'])

const REFUSED: Record<string, string> = {
  compress: 'compress=1 (ClickHouse\'s native LZ4 block framing of the response) is not supported by Pulse\'s embedded interface; leave it off and use enable_http_compression=1 with Accept-Encoding',
  decompress: 'decompress=1 (ClickHouse\'s native LZ4 block framing of the request) is not supported by Pulse\'s embedded interface; send Content-Encoding: gzip, deflate or br instead',
  session_id: 'HTTP sessions (session_id) are not supported by Pulse\'s embedded interface: every request runs on its own session',
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function parseRequest(method: string, url: URL, headers: IncomingHttpHeaders): QueryRequest {
  const settings: [string, string][] = []
  const params: [string, string][] = []
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) params.push([name.slice('param_'.length), value])
    else if (name in REFUSED) {
      if (value !== '0' && value !== 'false') throw new ClickHouseHttpError(CODES.NOT_IMPLEMENTED, `${REFUSED[name] ?? name}. (NOT_IMPLEMENTED)`)
    } else if (!HTTP_LAYER.has(name)) {
      if (!NAME.test(name)) throw new ClickHouseHttpError(CODES.UNKNOWN_SETTING, `Unknown setting '${name}'. (UNKNOWN_SETTING)`)
      settings.push([name, value])
    }
  }
  for (const [name] of params) if (!NAME.test(name)) throw new ClickHouseHttpError(CODES.SYNTAX_ERROR, `Bad query parameter name '${name}'. (BAD_ARGUMENTS)`)
  const readonly = url.searchParams.get('readonly')
  if (readonly !== null && !/^[012]$/.test(readonly)) throw new ClickHouseHttpError(CODES.SYNTAX_ERROR, `readonly takes 0, 1 or 2, got '${readonly}'. (BAD_ARGUMENTS)`)
  return {
    method,
    queryParam: url.searchParams.get('query') ?? '',
    database: url.searchParams.get('database') ?? header(headers, 'x-clickhouse-database'),
    defaultFormat: url.searchParams.get('default_format') ?? header(headers, 'x-clickhouse-format') ?? 'TabSeparated',
    queryId: url.searchParams.get('query_id') ?? undefined,
    role: url.searchParams.get('role') ?? undefined,
    readonly: Number(readonly ?? '0'),
    settings,
    params,
    compressResponse: url.searchParams.get('enable_http_compression') === '1',
    waitEndOfQuery: url.searchParams.get('wait_end_of_query') === '1',
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}
