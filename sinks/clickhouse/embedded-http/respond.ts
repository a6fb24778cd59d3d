// Writing an answer: ClickHouse's headers, the error body and status, and response compression when
// the client asked with enable_http_compression=1 and an Accept-Encoding this Node can produce.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import * as zlib from 'node:zlib'
import { errorBody, httpStatusOf, type ClickHouseHttpError } from './errors.ts'

type Encoder = () => zlib.Gzip | zlib.Deflate | zlib.BrotliCompress

const zstd = (zlib as { createZstdCompress?: Encoder }).createZstdCompress

const ENCODERS: Record<string, Encoder | undefined> = {
  gzip: () => zlib.createGzip(),
  deflate: () => zlib.createDeflate(),
  br: () => zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }),
  zstd,
}

export interface Output {
  stream: Writable
  headers: Record<string, string>
}

/** The response itself, or a compressor in front of it (the first encoding the client lists that Node has). */
export function output(response: ServerResponse, requestHeaders: IncomingHttpHeaders, compress: boolean): Output {
  if (!compress) return { stream: response, headers: {} }
  const accepted = (requestHeaders['accept-encoding'] ?? '').split(',').map((item) => item.split(';')[0]?.trim().toLowerCase() ?? '')
  const encoding = accepted.find((item) => ENCODERS[item] !== undefined)
  const encoder = encoding === undefined ? undefined : ENCODERS[encoding]
  if (encoding === undefined || encoder === undefined) return { stream: response, headers: {} }
  const compressor = encoder()
  compressor.pipe(response)
  return { stream: compressor, headers: { 'Content-Encoding': encoding } }
}

export function sendError(response: ServerResponse, error: ClickHouseHttpError, queryId?: string): void {
  if (response.headersSent) {
    // The status is gone; ClickHouse then appends the exception to the body. Ending the connection
    // without the last chunk makes sure no client takes the partial answer for a complete one.
    response.write(`\n${errorBody(error)}`)
    response.destroy()
    return
  }
  response.writeHead(httpStatusOf(error.code), {
    'Content-Type': 'text/plain; charset=UTF-8',
    'X-ClickHouse-Exception-Code': String(error.code),
    ...(queryId === undefined ? {} : { 'X-ClickHouse-Query-Id': queryId }),
  })
  response.end(errorBody(error))
}

export function summaryHeader(summary: { readRows: number; readBytes: number; elapsedSeconds: number; resultRows?: number }): string {
  return JSON.stringify({
    read_rows: String(summary.readRows),
    read_bytes: String(summary.readBytes),
    ...(summary.resultRows === undefined ? {} : { result_rows: String(summary.resultRows) }),
    elapsed_ns: String(Math.round(summary.elapsedSeconds * 1e9)),
  })
}
