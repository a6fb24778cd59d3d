// The embedded interface is safe by default against what issue 17 did to it: writes from GET, several
// statements in one request, cross-origin requests, the file system and network through table
// functions and file clauses, SYSTEM, anonymous writes, wrong passwords, readonly=1, raised limits.
import { createServer, request as httpRequest } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asWriter, send, serveEngine, type ServedEngine } from '../helpers/embedded-http.ts'
import { serveEmbeddedClickHouse } from '../../sinks/clickhouse/embedded-http.ts'
import { testLogger, uniqueName } from '../helpers/services.ts'

let engine: ServedEngine
let table: string

beforeAll(async () => {
  engine = await serveEngine({ allowedOrigins: ['http://dashboard.test:3000'] })
  table = `pulse.${uniqueName('sec')}`
  await engine.pipeline.client.command({ query: `CREATE TABLE ${table} (id UInt32, name String) ENGINE = MergeTree ORDER BY id` })
  await engine.pipeline.client.command({ query: `INSERT INTO ${table} VALUES (1, 'one')` })
})

afterAll(async () => {
  await engine.close()
})

/** fetch() will not send another Host, so this one goes through node:http. */
function statusWithHost(base: string, host: string): Promise<number> {
  return new Promise((done, fail) => {
    const request = httpRequest(`${base}/?query=SELECT%201`, { headers: { host } }, (response) => {
      response.resume()
      done(response.statusCode ?? 0)
    })
    request.on('error', fail)
    request.end()
  })
}

async function exists(name: string): Promise<boolean> {
  const result = await engine.pipeline.client.query({ query: `EXISTS TABLE ${name}`, format: 'JSONEachRow' })
  const rows = await result.json<{ result: number }>()
  return rows[0]?.result === 1
}

describe('embedded HTTP interface, secure by default', () => {
  it('lets anyone read pulse tables but not write them', async () => {
    expect((await send(engine.url, { query: `SELECT name FROM ${table}` })).body).toBe('one\n')
    const insert = await send(engine.url, {}, `INSERT INTO ${table} VALUES (2, 'two')`)
    expect([insert.status, insert.code]).toEqual([403, '497'])
    const create = await send(engine.url, {}, 'CREATE TABLE pulse.anon_made (x UInt8) ENGINE = Memory')
    expect(create.code).toBe('497')
    expect(await exists('pulse.anon_made')).toBe(false)
  })

  it('lets the writer write with its password, and refuses a wrong one or an unknown user', async () => {
    const insert = await send(engine.url, { query: `INSERT INTO ${table} FORMAT TSV` }, '3\tthree\n', asWriter)
    expect(insert.status).toBe(200)
    const wrong = await send(engine.url, { user: 'pulse_writer', password: 'guess' }, `INSERT INTO ${table} VALUES (4, 'x')`)
    expect([wrong.status, wrong.code]).toEqual([403, '516'])
    expect(wrong.body).not.toContain('writer-secret')
    const unknown = await send(engine.url, {}, 'SELECT 1', { 'x-clickhouse-user': 'root', 'x-clickhouse-key': '' })
    expect(unknown.code).toBe('516')
    expect((await send(engine.url, { query: `SELECT count() FROM ${table} WHERE id = 3` })).body).toBe('1\n')
  })

  it('refuses writes from GET and with readonly=1, even for the writer', async () => {
    const get = await send(engine.url, { query: 'CREATE TABLE pulse.from_get (x UInt8) ENGINE = Memory' }, undefined, asWriter)
    expect(get.code).toBe('164')
    const readonly = await send(engine.url, { readonly: '1' }, 'CREATE TABLE pulse.from_readonly (x UInt8) ENGINE = Memory', asWriter)
    expect(readonly.code).toBe('164')
    expect(await exists('pulse.from_get')).toBe(false)
    expect(await exists('pulse.from_readonly')).toBe(false)
  })

  it('runs one statement per request, however the second is hidden', async () => {
    for (const sql of [`SELECT 1; DROP TABLE ${table}`, `SELECT 1 /* x */ ;\nDROP TABLE ${table}`, `INSERT INTO ${table} FORMAT TSV\n6\tw\n\nDROP TABLE ${table}`]) {
      const answer = await send(engine.url, {}, sql, asWriter)
      expect(answer.status, sql).toBeGreaterThanOrEqual(400)
      expect(await exists(table), sql).toBe(true)
    }
    // Values data is read from a file, where the Values reader stops at ';': the rest never runs.
    await send(engine.url, {}, `INSERT INTO ${table} VALUES (5, 'v'); DROP TABLE ${table}`, asWriter)
    expect(await exists(table)).toBe(true)
    const stacked = await send(engine.url, {}, 'SELECT 1; SELECT 2')
    expect([stacked.status, stacked.code]).toEqual([400, '62'])
  })

  it('refuses a foreign Origin and a foreign Host, and serves an allowed origin', async () => {
    const csrf = await send(engine.url, {}, `INSERT INTO ${table} VALUES (7, 'csrf')`, { ...asWriter, origin: 'http://evil.test', 'content-type': 'text/plain' })
    expect([csrf.status, csrf.code]).toEqual([403, '497'])
    expect((await send(engine.url, { query: 'SELECT 1' }, undefined, { origin: 'null' })).status).toBe(403)
    expect((await send(engine.url, { query: 'SELECT 1' }, undefined, { origin: 'http://dashboard.test:3000' })).body).toBe('1\n')
    expect(await statusWithHost(engine.url, 'rebound.evil.test')).toBe(403)
    expect(await statusWithHost(engine.url, 'localhost')).toBe(200)
  })

  it('keeps the file system, the network and SYSTEM out of reach', async () => {
    const listener = createServer((_request, response) => {
      heard++
      response.end('secret')
    })
    let heard = 0
    await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done))
    // A script the engine could run, so the refusal is the grant's and not the missing file's.
    mkdirSync(join(engine.dataDir, 'user_scripts'), { recursive: true })
    writeFileSync(join(engine.dataDir, 'user_scripts', 'pulse-test.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 })
    const port = (listener.address() as AddressInfo).port
    try {
      for (const headers of [{}, asWriter]) {
        for (const sql of [
          "SELECT * FROM file('/etc/passwd', 'LineAsString')",
          `SELECT * FROM url('http://127.0.0.1:${port}/', 'LineAsString')`,
          `SELECT * FROM remote('127.0.0.1:${port}', system.one)`,
          "SELECT * FROM s3('https://pulse-test.s3.amazonaws.com/k.csv', 'CSV')",
          "SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')",
          "SELECT * FROM postgresql('127.0.0.1:1', 'd', 't', 'u', 'p')",
          "INSERT INTO FUNCTION file('/tmp/pulse-h17-written.tsv', 'TSV') SELECT 1",
          `CREATE TABLE pulse.${uniqueName('f')} (x String) ENGINE = File(TSV)`,
          `CREATE TABLE pulse.${uniqueName('u')} (x String) ENGINE = URL('http://127.0.0.1:${port}/', TSV)`,
          'SYSTEM SHUTDOWN',
          'SYSTEM DROP MARK CACHE',
        ]) {
          const answer = await send(engine.url, {}, sql, headers)
          expect([answer.status, answer.code], sql).toEqual([403, '497'])
        }
      }
      // executable() is guarded by the scripts directory, not by a grant: the engine looks elsewhere.
      for (const headers of [{}, asWriter]) {
        const script = await send(engine.url, {}, "SELECT * FROM executable('pulse-test.sh', 'LineAsString', 'x String')", headers)
        expect(script.status).toBeGreaterThanOrEqual(400)
        expect(script.body).not.toMatch(/^ran$/m)
      }
      const outfile = await send(engine.url, {}, "SELECT 1 INTO OUTFILE '/tmp/pulse-h17-outfile.csv'", asWriter)
      expect(outfile.code).toBe('358')
      const infile = await send(engine.url, {}, `INSERT INTO ${table} FROM INFILE '/etc/hostname' FORMAT LineAsString`, asWriter)
      expect(infile.code).toBe('497')
      expect(heard).toBe(0)
      expect((await send(engine.url, { query: 'SELECT 1' })).body).toBe('1\n')
    } finally {
      listener.close()
    }
  })

  it('caps time and memory: a query cannot raise or lift the limits', async () => {
    expect((await send(engine.url, { query: "SELECT getSetting('max_execution_time')" })).body).toBe('60\n')
    for (const sql of ['SELECT 1 SETTINGS max_execution_time = 1000', 'SELECT 1 SETTINGS max_execution_time = 0', 'SELECT 1 SETTINGS max_memory_usage = 100000000000']) {
      const answer = await send(engine.url, {}, sql)
      expect(answer.code, sql).toBe('452')
    }
    expect((await send(engine.url, { query: "SELECT getSetting('max_execution_time')", max_execution_time: '5' })).body).toBe('5\n')
  })

  it("runs the pipeline's own reads without the analysts' limits", async () => {
    // The writer's profile has none on a server; the analysts' 60 s once cut a processor's restore read short.
    const limits = "SELECT getSetting('max_execution_time'), getSetting('max_memory_usage')"
    expect((await send(engine.url, { query: limits }, undefined, asWriter)).body).toBe('0\t0\n')
    expect((await send(engine.url, { query: limits })).body).toBe('60\t2000000000\n')
    const embedded = engine.pipeline.embedded
    if (embedded === undefined) throw new Error('expected the embedded engine')
    const unrestricted = await serveEmbeddedClickHouse(embedded, 0, testLogger().logger, { access: 'unrestricted' })
    try {
      expect((await send(`http://127.0.0.1:${unrestricted.port}`, { query: limits })).body).toBe('0\t0\n')
    } finally {
      await unrestricted.close()
    }
  })

  it('answers with ClickHouse codes and HTTP statuses', async () => {
    const cases: [string, number, string][] = [
      ['SELECT * FROM pulse.no_such_table', 404, '60'],
      ['SELEC 1', 400, '62'],
      ['SELECT no_such_function()', 404, '46'],
    ]
    for (const [sql, status, code] of cases) {
      const answer = await send(engine.url, {}, sql)
      expect([answer.status, answer.code], sql).toEqual([status, code])
      expect(answer.body).toMatch(new RegExp(`^Code: ${code}\\. DB::Exception: `))
    }
    const unknown = await send(engine.url, { query: 'SELECT 1', no_such_setting: '1' })
    expect([unknown.status, unknown.code]).toEqual([404, '115'])
  })
})
