// The embedded interface speaks the parts of ClickHouse's HTTP protocol real clients use, honoured or
// refused with ClickHouse's error, never ignored: database, format and its Content-Type, settings in
// the URL, compressed bodies both ways, binary and empty inserts, query ids, parameters exactly.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asWriter, send, serveEngine, WRITER_PASSWORD, type ServedEngine } from '../helpers/embedded-http.ts'
import { uniqueName } from '../helpers/services.ts'

let engine: ServedEngine
let table: string
let name: string
let writer: ClickHouseClient
/** Anonymous: the analysts' grants (the writer may SELECT only what the pipeline reads). */
let reader: ClickHouseClient

beforeAll(async () => {
  engine = await serveEngine()
  name = uniqueName('proto')
  table = `pulse.${name}`
  await engine.pipeline.client.command({ query: `CREATE TABLE ${table} (id UInt32, name String, big UInt64 DEFAULT 18446744073709551615) ENGINE = MergeTree ORDER BY id` })
  await engine.pipeline.client.command({ query: `INSERT INTO ${table} (id, name) VALUES (1, 'x'), (2, 'x''') , (3, 'x\\\\''')` })
  writer = createClient({ url: engine.url, username: 'pulse_writer', password: WRITER_PASSWORD, database: 'pulse', compression: { request: true, response: true } })
  reader = createClient({ url: engine.url, database: 'pulse', compression: { request: true, response: true } })
})

afterAll(async () => {
  await writer.close()
  await reader.close()
  await engine.close()
})

describe('embedded HTTP interface protocol', () => {
  it('answers a query whose parameters make a URL of ~100 KB (the sink restores open sessions by id so)', async () => {
    const ids = Array.from({ length: 2500 }, (_, index) => `4ce0b3c6-aa81-42f3-aaf4-${String(index).padStart(12, '0')}`)
    const result = await reader.query({ query: 'SELECT length({ids:Array(String)}) AS n', query_params: { ids }, format: 'JSONEachRow' })
    expect(await result.json<{ n: string }>()).toEqual([{ n: '2500' }])
  })

  it('honours database from the URL, the X-ClickHouse-Database header and @clickhouse/client', async () => {
    expect((await send(engine.url, { query: `SELECT count() FROM ${name}`, database: 'pulse' })).body).toBe('3\n')
    expect((await send(engine.url, { query: `SELECT count() FROM ${name}` }, undefined, { 'x-clickhouse-database': 'pulse' })).body).toBe('3\n')
    const rows = await (await reader.query({ query: `SELECT count() AS n FROM ${name}`, format: 'JSONEachRow' })).json<{ n: string }>()
    expect(rows).toEqual([{ n: '3' }])
    // The analysts may see only pulse: another database is refused as the server refuses it.
    const other = await send(engine.url, { query: 'SELECT 1', database: 'no_such_db' })
    expect([other.status, other.code]).toEqual([403, '497'])
  })

  it('answers in the asked format with its Content-Type, and the query own FORMAT wins', async () => {
    const json = await send(engine.url, { query: `SELECT id FROM ${table} ORDER BY id LIMIT 1` }, undefined, { 'x-clickhouse-format': 'JSONEachRow' })
    expect([json.body, json.headers.get('content-type'), json.headers.get('x-clickhouse-format')]).toEqual(['{"id":1}\n', 'application/json; charset=UTF-8', 'JSONEachRow'])
    const csv = await send(engine.url, { query: 'SELECT 1', default_format: 'CSVWithNames' })
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=UTF-8; header=present')
    const response = await fetch(`${engine.url}/?query=${encodeURIComponent(`SELECT * FROM ${table} FORMAT Parquet`)}`)
    expect([response.headers.get('content-type'), response.headers.get('x-clickhouse-format')]).toEqual(['application/octet-stream', 'Parquet'])
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('PAR1')
  })

  it('passes URL settings to the query', async () => {
    const limited = await send(engine.url, { query: 'SELECT number FROM numbers(10)', max_result_rows: '2', result_overflow_mode: 'throw' })
    expect(limited.code).toBe('396')
    const quoted = await send(engine.url, { query: `SELECT big FROM ${table} WHERE id = 1 FORMAT JSONEachRow`, output_format_json_quote_64bit_integers: '1' })
    expect(quoted.body).toBe('{"big":"18446744073709551615"}\n')
    const bare = await send(engine.url, { query: `SELECT big FROM ${table} WHERE id = 1 FORMAT JSONEachRow`, output_format_json_quote_64bit_integers: '0' })
    expect(bare.body).toBe('{"big":18446744073709551615}\n')
    expect((await send(engine.url, { query: "SELECT getSetting('max_memory_usage')", max_memory_usage: '1000000000' })).body).toBe('1000000000\n')
  })

  it('decodes gzip, deflate and br request bodies, and refuses an encoding it cannot decode', async () => {
    for (const [encoding, body, expected] of [['gzip', gzipSync('SELECT 7'), '7\n'], ['deflate', deflateSync('SELECT 8'), '8\n'], ['br', brotliCompressSync('SELECT 9'), '9\n']] as const) {
      const answer = await send(engine.url, {}, body, { 'content-encoding': encoding })
      expect([answer.status, answer.body], encoding).toEqual([200, expected])
    }
    const unknown = await send(engine.url, {}, 'SELECT 1', { 'content-encoding': 'compress' })
    expect(unknown.code).toBe('89')
    const corrupt = await send(engine.url, {}, 'not gzip at all', { 'content-encoding': 'gzip' })
    expect(corrupt.status).toBeGreaterThanOrEqual(400)
  })

  it('works with @clickhouse/client request and response compression: command, insert, query', async () => {
    const created = uniqueName('made')
    await writer.command({ query: `CREATE TABLE ${created} (id UInt32) ENGINE = MergeTree ORDER BY id` })
    await writer.insert({ table: created, values: [{ id: 5 }, { id: 6 }], format: 'JSONEachRow' })
    const rows = await (await reader.query({ query: `SELECT sum(id) AS s FROM ${created}`, format: 'JSONEachRow' })).json<{ s: string }>()
    expect(rows).toEqual([{ s: '11' }])
  })

  it('compresses the response when asked with enable_http_compression', async () => {
    const response = await fetch(`${engine.url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT number FROM numbers(1000) FORMAT TSV')}`, { headers: { 'accept-encoding': 'gzip' } })
    expect(response.headers.get('content-encoding')).toBe('gzip')
    expect((await response.text()).split('\n')[999]).toBe('999')
    const plain = await fetch(`${engine.url}/?query=SELECT%201`, { headers: { 'accept-encoding': 'gzip' } })
    expect(plain.headers.get('content-encoding')).toBeNull()
  })

  it('refuses ClickHouse native compression (compress=1, decompress=1), sessions and multipart clearly', async () => {
    for (const params of [{ compress: '1' }, { decompress: '1' }, { session_id: 'abc' }]) {
      const answer = await send(engine.url, { ...params, query: 'SELECT 1' })
      expect([answer.status, answer.code], JSON.stringify(params)).toEqual([501, '48'])
    }
    const form = new FormData()
    form.set('query', 'SELECT 1')
    const multipart = await fetch(`${engine.url}/`, { method: 'POST', body: form })
    expect(multipart.status).toBe(501)
  })

  it('inserts binary bodies as bytes, and empty inserts', async () => {
    const target = uniqueName('bin')
    await writer.command({ query: `CREATE TABLE ${target} (id UInt32, name String) ENGINE = MergeTree ORDER BY id` })
    const parquet = Buffer.from(await (await fetch(`${engine.url}/?query=${encodeURIComponent("SELECT 10 :: UInt32 AS id, 'é\\n\\n;' AS name FORMAT Parquet")}`)).arrayBuffer())
    const rowBinary = Buffer.from(await (await fetch(`${engine.url}/?query=${encodeURIComponent("SELECT 11 :: UInt32 AS id, 'ü' AS name FORMAT RowBinary")}`)).arrayBuffer())
    expect((await send(engine.url, { query: `INSERT INTO pulse.${target} FORMAT Parquet` }, parquet, asWriter)).status).toBe(200)
    expect((await send(engine.url, { query: `INSERT INTO pulse.${target} FORMAT RowBinary` }, rowBinary, asWriter)).status).toBe(200)
    expect((await send(engine.url, { query: `INSERT INTO pulse.${target} FORMAT JSONEachRow` }, '', asWriter)).status).toBe(200)
    const rows = await (await reader.query({ query: `SELECT id, name FROM ${target} ORDER BY id`, format: 'JSONEachRow' })).json()
    expect(rows).toEqual([{ id: 10, name: 'é\n\n;' }, { id: 11, name: 'ü' }])
  })

  it('echoes the query id and sends a summary', async () => {
    const answer = await send(engine.url, { query: 'CREATE TABLE IF NOT EXISTS pulse.summary_probe (x UInt8) ENGINE = Memory', query_id: 'my-query-1' }, '', asWriter)
    expect(answer.headers.get('x-clickhouse-query-id')).toBe('my-query-1')
    const generated = await send(engine.url, { query: 'SELECT 1', wait_end_of_query: '1' })
    expect(generated.headers.get('x-clickhouse-query-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.parse(generated.headers.get('x-clickhouse-summary') ?? '{}')).toHaveProperty('read_rows', '1')
  })

  it('binds a parameter holding a quote to exactly that value (the report path)', async () => {
    const rows = await (await reader.query({ query: `SELECT id FROM ${name} WHERE name = {name:String} ORDER BY id`, query_params: { name: "x'" }, format: 'JSONEachRow' })).json()
    expect(rows).toEqual([{ id: 2 }])
    const backslash = await (await reader.query({ query: `SELECT id FROM ${name} WHERE name = {name:String}`, query_params: { name: "x\\'" }, format: 'JSONEachRow' })).json()
    expect(backslash).toEqual([{ id: 3 }])
    expect((await send(engine.url, { query: `SELECT id FROM ${table} WHERE name = {n:String}`, param_n: "x\\'" })).body).toBe('2\n')
  })
})
