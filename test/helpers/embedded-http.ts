// A served embedded engine for the interface's tests: the access configuration opened first (it must
// be the process's first chDB connection), the pipeline's own client beside it, the interface on a
// free port, and small helpers to send requests as curl would.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClickHouse, type ClickHouse } from '../../sinks/clickhouse/connection.ts'
import { openEmbeddedAccess, serveEmbeddedClickHouse, type EmbeddedHttpOptions } from '../../sinks/clickhouse/embedded-http.ts'
import { testLogger } from './services.ts'

export const WRITER_PASSWORD = 'writer-secret-for-tests'

export interface ServedEngine {
  url: string
  dataDir: string
  pipeline: ClickHouse
  close(): Promise<void>
}

export async function serveEngine(options: EmbeddedHttpOptions = {}): Promise<ServedEngine> {
  process.env.PULSE_CLICKHOUSE_WRITER_PASSWORD = WRITER_PASSWORD
  delete process.env.PULSE_CLICKHOUSE_ANALYST_PASSWORD
  const dataDir = mkdtempSync(join(tmpdir(), 'pulse-embedded-http-'))
  const access = openEmbeddedAccess(dataDir)
  const pipeline = connectClickHouse({ dataDir, username: 'default', password: '' })
  if (pipeline.embedded === undefined) throw new Error('expected the embedded engine')
  const server = await serveEmbeddedClickHouse(pipeline.embedded, 0, testLogger().logger, options)
  await pipeline.client.command({ query: 'CREATE DATABASE IF NOT EXISTS pulse' })
  return {
    url: `http://127.0.0.1:${server.port}`,
    dataDir,
    pipeline,
    close: async () => {
      await server.close()
      await pipeline.close()
      access.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export interface Answer {
  status: number
  code: string | null
  body: string
  headers: Headers
}

export const asWriter = { authorization: `Basic ${Buffer.from(`pulse_writer:${WRITER_PASSWORD}`).toString('base64')}` }

/** POSTs `body` (or GETs when body is undefined) to the interface with URL parameters. */
export async function send(base: string, params: Record<string, string>, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const url = `${base}/?${new URLSearchParams(params).toString()}`
  const response = await fetch(url, body === undefined ? { headers } : { method: 'POST', body, headers })
  return { status: response.status, code: response.headers.get('x-clickhouse-exception-code'), body: await response.text(), headers: response.headers }
}
