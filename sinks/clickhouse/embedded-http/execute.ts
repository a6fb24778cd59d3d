// Runs one request's statement on its own session and answers it: the session takes the user's role,
// the URL's settings and parameters, the database and the readonly level first (ClickHouse checks
// each: UNKNOWN_SETTING, SETTING_CONSTRAINT_VIOLATION, READONLY), then the one statement runs.
// Results stream chunk by chunk with backpressure, and a client that goes away cancels the query.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { Principal } from './auth.ts'
import { asClickHouseError, ClickHouseHttpError, CODES } from './errors.ts'
import { contentTypeOf } from './formats.ts'
import type { QueryRequest } from './request.ts'
import { output, summaryHeader } from './respond.ts'
import { paramStatement, setStatement, type RequestSession } from './session.ts'
import { insertFromFile, parseStatement } from './statement.ts'

export interface Exchange {
  request: QueryRequest
  requestHeaders: IncomingHttpHeaders
  principal: Principal | undefined
  queryId: string
  response: ServerResponse
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal
}

export async function execute(session: RequestSession, exchange: Exchange, text: Buffer): Promise<void> {
  await prepare(session, exchange)
  const statement = await parseStatement((sql) => session.probe(sql), text)
  if (statement.kind === 'insert') {
    await runInsert(session, statement.header, statement.data)
    finish(exchange, {}, '')
    return
  }
  const format = statement.format ?? exchange.request.defaultFormat
  if (exchange.request.waitEndOfQuery || !(await streamResult(session, exchange, statement.sql, format))) await bufferedResult(session, exchange, statement.sql, format)
}

async function prepare(session: RequestSession, { request, principal }: Exchange): Promise<void> {
  if (principal !== undefined) {
    if (request.role !== undefined && request.role !== principal.role) throw new ClickHouseHttpError(512, `Role ${request.role} is not granted to ${principal.user}. (SET_NON_GRANTED_ROLE)`)
    await session.run(`SET ROLE ${identifier(principal.role)}`)
  }
  for (const [name, value] of request.settings) await session.run(setStatement(name, value))
  for (const [name, value] of request.params) await session.run(paramStatement(name, value))
  if (request.database !== undefined) await session.run(`USE ${identifier(request.database)}`)
  // GET is read-only, as on the server (readonly=2 still lets the query carry settings).
  const readonly = Math.max(principal?.limits.readonly ?? 0, request.method === 'GET' ? 2 : 0, request.readonly)
  if (readonly > 0) await session.run(`SET readonly = ${readonly}`)
}

async function runInsert(session: RequestSession, header: string, data: Buffer): Promise<void> {
  // A private directory: the file is readable by this user only and gone when the insert is.
  const directory = mkdtempSync(join(tmpdir(), 'pulse-insert-'))
  try {
    const path = join(directory, 'body')
    writeFileSync(path, data, { mode: 0o600 })
    await session.run(insertFromFile(header, path))
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}

/** Streams the result; false when chDB cannot stream this statement (DDL and the like), before it ran. */
async function streamResult(session: RequestSession, exchange: Exchange, sql: string, format: string): Promise<boolean> {
  let stream: ReturnType<RequestSession['session']['queryStream']>
  try {
    stream = session.session.queryStream(sql, { format, signal: exchange.signal })
  } catch (error) {
    if (/Streaming query is not supported/.test(error instanceof Error ? error.message : '')) return false
    throw error
  }
  let out: Writable | undefined
  try {
    for await (const chunk of stream) {
      out ??= begin(exchange, format)
      if (!out.write(chunk.raw())) await drained(out, exchange.signal)
      if (exchange.signal.aborted) break
    }
  } catch (error) {
    if (exchange.signal.aborted) return true
    throw asClickHouseError(error)
  } finally {
    stream.cancel()
  }
  if (exchange.signal.aborted) return true
  out ??= begin(exchange, format)
  out.end()
  return true
}

async function bufferedResult(session: RequestSession, exchange: Exchange, sql: string, format: string): Promise<void> {
  const result = await session.session.queryAsync(sql, { format, signal: exchange.signal })
  const summary = summaryHeader({ readRows: result.rowsRead, readBytes: result.bytesRead, elapsedSeconds: result.elapsed })
  finish(exchange, { 'X-ClickHouse-Summary': summary }, Buffer.from(result.bytes()), format)
}

function headersFor(exchange: Exchange, format: string | undefined): Record<string, string> {
  return {
    'X-ClickHouse-Query-Id': exchange.queryId,
    ...(format === undefined ? { 'Content-Type': 'text/plain; charset=UTF-8' } : { 'Content-Type': contentTypeOf(format), 'X-ClickHouse-Format': format }),
  }
}

function begin(exchange: Exchange, format: string): Writable {
  const out = output(exchange.response, exchange.requestHeaders, exchange.request.compressResponse)
  exchange.response.writeHead(200, { ...headersFor(exchange, format), ...out.headers })
  return out.stream
}

function finish(exchange: Exchange, extra: Record<string, string>, body: Buffer | string, format?: string): void {
  const out = output(exchange.response, exchange.requestHeaders, exchange.request.compressResponse && body.length > 0)
  exchange.response.writeHead(200, { ...headersFor(exchange, format), ...extra, ...out.headers })
  out.stream.end(body)
}

async function drained(out: Writable, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await Promise.race([once(out, 'drain'), once(signal, 'abort')])
}

/** A database, role or other name as a back-quoted ClickHouse identifier. */
export function identifier(name: string): string {
  return `\`${name.replace(/[\\`]/g, (char) => `\\${char}`)}\``
}

export const TOO_MANY = new ClickHouseHttpError(CODES.TOO_MANY_SIMULTANEOUS_QUERIES, 'Too many simultaneous queries on Pulse\'s embedded interface; try again. (TOO_MANY_SIMULTANEOUS_QUERIES)')
