// Per-test resources on the shared real services: a unique stream prefix, a unique ClickHouse
// database in this file's own chDB data directory, and a poll helper (tests wait for conditions,
// never for a fixed time).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { inject, onTestFinished } from 'vitest'
import { connectClickHouse, type ClickHouse } from '../../sinks/clickhouse/connection.ts'
import { createKinesisClient } from '../../processors/source/kinesis/client.ts'
import type { KinesisClient } from '@aws-sdk/client-kinesis'
import { createLogger, type Logger } from '../../runtime/logger.ts'
import { Writable } from 'node:stream'

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
}

let sharedClickHouse: { clickhouse: ClickHouse; dataDir: string } | undefined

/** The file's embedded ClickHouse: libchdb allows one data directory per process, so files share it, tests use their own database. */
export function embeddedClickHouse(): { clickhouse: ClickHouse; dataDir: string } {
  if (sharedClickHouse === undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-test-chdb-'))
    sharedClickHouse = { clickhouse: connectClickHouse({ dataDir, username: 'default', password: '' }), dataDir }
    process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }))
  }
  return sharedClickHouse
}

export function kinesisClient(): KinesisClient {
  const client = createKinesisClient({ endpoint: inject('kinesisEndpoint'), region: 'us-east-1' })
  onTestFinished(() => client.destroy())
  return client
}

/** A logger that keeps lines in memory (shown only when asked), so test output stays readable. */
export function testLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'))
      done()
    },
  })
  return { logger: createLogger({ level: 'info', pretty: false, destination }), lines }
}

export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, options: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  let last: T = await read()
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? 'condition'}; last value: ${JSON.stringify(last)}`)
    await sleep(100)
    last = await read()
  }
  return last
}

export async function count(clickhouse: ClickHouse, sql: string): Promise<number> {
  const result = await clickhouse.client.query({ query: sql, format: 'JSONEachRow' })
  const rows = await result.json<Record<string, string | number>>()
  return Number(Object.values(rows[0] ?? {})[0] ?? 0)
}
