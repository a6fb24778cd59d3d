// A processor that starts while its ClickHouse is busy waits for it: the embedded interface answers
// TOO_MANY_SIMULTANEOUS_QUERIES when its slots are taken (other processors flushing), and the schema
// step retries that like an insert instead of ending the process.
import { describe, expect, it } from 'vitest'
import { ClickHouseSink } from '../../sinks/clickhouse/sink.ts'
import { connectClickHouse } from '../../sinks/clickhouse/connection.ts'
import { createSinkMetrics } from '../../sinks/clickhouse/metrics.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { serveClickHouse } from '../helpers/kafka.ts'
import { embeddedClickHouse, pollUntil, testLogger, uniqueName } from '../helpers/services.ts'

async function runningQueries(pattern: string): Promise<number> {
  const { clickhouse } = embeddedClickHouse()
  const result = await clickhouse.client.query({ query: `SELECT count() AS n FROM system.processes WHERE query LIKE '%${pattern}%' AND query NOT LIKE '%system.processes%'`, format: 'JSONEachRow' })
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0)
}

describe('ClickHouse sink start', () => {
  it('retries the schema while every query slot is taken, and is ready once one frees', async () => {
    const server = await serveClickHouse(1)
    const slow = fetch(`${server.url}/?query=${encodeURIComponent('SELECT sum(sleepEachRow(1)) FROM numbers(3) SETTINGS max_block_size = 1')}`).then((response) => response.text())
    await pollUntil(() => runningQueries('sleepEachRow'), (running) => running === 1, { what: 'the slow query holding the slot', timeoutMs: 5000 })

    const clickhouse = connectClickHouse({ url: server.url, dataDir: '', username: 'default', password: '' })
    const registry = createRegistry()
    const { logger, lines } = testLogger()
    const database = uniqueName('sink_start')
    const sink = new ClickHouseSink(clickhouse, { database, metrics: createSinkMetrics(registry), logger, retry: { initialDelayMs: 50, maxDelayMs: 200 } })
    try {
      const report = await sink.start()
      expect(report.applied.length).toBeGreaterThan(0)
      expect(await slow).toBe('0\n')
      const retries = (await registry.getSingleMetric('pulse_sink_retries_total')?.get())?.values ?? []
      expect(retries.reduce((sum, entry) => sum + entry.value, 0)).toBeGreaterThan(0)
      expect(lines.some((line) => line.includes('preparing the ClickHouse schema failed; retrying') && line.includes('Too many simultaneous queries'))).toBe(true)
    } finally {
      await clickhouse.close()
    }
  })

  it('lets processors that start together on a fresh database all finish the migrations', async () => {
    const server = await serveClickHouse(16)
    const database = uniqueName('sink_race')
    const clients = [0, 1, 2].map(() => connectClickHouse({ url: server.url, dataDir: '', username: 'default', password: '' }))
    try {
      const sinks = clients.map((clickhouse) => new ClickHouseSink(clickhouse, { database, metrics: createSinkMetrics(createRegistry()), logger: testLogger().logger, retry: { initialDelayMs: 50, maxDelayMs: 500 } }))
      const reports = await Promise.all(sinks.map((sink) => sink.start()))
      // Between them every migration was applied, and each ended with the whole schema.
      const applied = new Set(reports.flatMap((report) => [...report.applied, ...report.alreadyApplied]))
      expect(applied.size).toBe(reports[0] === undefined ? 0 : reports[0].applied.length + reports[0].alreadyApplied.length)
      const { clickhouse } = embeddedClickHouse()
      const tables = await clickhouse.client.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${database}' AND name IN ('qoe_1m', 'engagement_1m', 'client_events', 'checkpoints')`, format: 'JSONEachRow' })
      expect(Number((await tables.json<{ n: string }>())[0]?.n)).toBe(4)
    } finally {
      await Promise.all(clients.map((clickhouse) => clickhouse.close()))
    }
  })
})
