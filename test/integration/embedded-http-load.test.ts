// Queries through the embedded interface must not hold up the pipeline: each request runs on a chDB
// session of its own, so the sink's inserts keep landing while a slow query runs; and a result is
// streamed, so a client that walks away from an endless one cancels it and memory stays bounded.
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveEngine, type ServedEngine } from '../helpers/embedded-http.ts'
import { pollUntil, uniqueName } from '../helpers/services.ts'

let engine: ServedEngine

beforeAll(async () => {
  engine = await serveEngine()
})

afterAll(async () => {
  await engine.close()
})

async function count(table: string): Promise<number> {
  const rows = await (await engine.pipeline.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>()
  return Number(rows[0]?.n ?? 0)
}

async function runningQueries(pattern: string): Promise<number> {
  const rows = await (await engine.pipeline.client.query({ query: `SELECT count() AS n FROM system.processes WHERE query LIKE '%${pattern}%' AND query NOT LIKE '%system.processes%'`, format: 'JSONEachRow' })).json<{ n: string }>()
  return Number(rows[0]?.n ?? 0)
}

describe('embedded HTTP interface under load', () => {
  it('keeps the sink inserting every second while a 10-second query runs', async () => {
    const table = `pulse.${uniqueName('ingest')}`
    await engine.pipeline.client.command({ query: `CREATE TABLE ${table} (at DateTime64(3), n UInt32) ENGINE = MergeTree ORDER BY at` })
    const started = Date.now()
    const slow = fetch(`${engine.url}/?query=${encodeURIComponent('SELECT sum(sleepEachRow(1)) FROM numbers(10) SETTINGS max_block_size = 1')}`).then(async (response) => ({ status: response.status, body: await response.text(), at: Date.now() }))
    await pollUntil(() => runningQueries('sleepEachRow'), (running) => running === 1, { what: 'the slow query running', timeoutMs: 5000 })
    const latencies: number[] = []
    for (let second = 0; second < 7; second++) {
      const before = Date.now()
      await engine.pipeline.client.insert({ table, values: [{ at: before, n: second }], format: 'JSONEachRow' })
      latencies.push(Date.now() - before)
      expect(await count(table), `rows after second ${second}`).toBe(second + 1)
      await new Promise((done) => setTimeout(done, Math.max(0, before + 1000 - Date.now())))
    }
    const finished = await slow
    console.log(`insert latencies while the query ran (ms): ${latencies.join(', ')}; query took ${finished.at - started} ms`)
    expect(finished).toMatchObject({ status: 200, body: '0\n' })
    // Every insert landed while the query was still running, each well within its second.
    expect(finished.at - started).toBeGreaterThan(9000)
    expect(Math.max(...latencies)).toBeLessThan(500)
  })

  it('cancels an endless result when its client goes away, and memory stays bounded', async () => {
    const rssBefore = process.memoryUsage().rss
    let received = 0
    await new Promise<void>((done, fail) => {
      const request = httpRequest(`${engine.url}/?query=${encodeURIComponent('SELECT * FROM system.numbers')}`, (response) => {
        response.on('data', (chunk: Buffer) => {
          received += chunk.byteLength
          if (received > 50_000_000) {
            request.destroy()
            done()
          }
        })
        response.on('error', () => undefined)
      })
      request.on('error', (error) => {
        if (received <= 50_000_000) fail(error)
      })
      request.end()
    })
    await pollUntil(() => runningQueries('system.numbers'), (running) => running === 0, { what: 'the abandoned query cancelled', timeoutMs: 10_000 })
    const grown = process.memoryUsage().rss - rssBefore
    console.log(`streamed ${received} bytes, then disconnected; rss grew ${Math.round(grown / 1e6)} MB`)
    expect(grown).toBeLessThan(400_000_000)
    const after = await fetch(`${engine.url}/?query=SELECT%201`)
    expect(await after.text()).toBe('1\n')
  })
})
