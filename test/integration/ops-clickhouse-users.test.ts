// The compose stack's pulse_writer can run the pipeline, and no more: with infra/clickhouse's users
// file loaded into a real ClickHouse engine and pulse_writer as its user, Pulse migrates the schema,
// restores its state, and writes every table from real traffic (Kinesis emulator → processor → sink)
// without one refused insert; reading raw flows, dropping a table or creating another database is
// refused by ClickHouse itself.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it, onTestFinished } from 'vitest'
import { generatedTraffic } from '../../cli/produce.ts'
import { openSink, openStreams, streamProcessor, type Runtime } from '../../cli/roles.ts'
import { driveTraffic } from '../../producers/driver.ts'
import { loadConfig } from '../../runtime/config.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { pollUntil, testLogger, uniqueName } from '../helpers/services.ts'
import { REFUSED, openClickHouseAs, refusal } from './ops-clickhouse-local.ts'

/** Tables every run writes (the event-time tables come on top where that work is in). */
const WRITTEN = ['client_events', 'network_flows', 'ip_assignments', 'client_events_1m', 'flows_1m']

async function sumBy(runtime: Runtime, metric: string, label: string): Promise<Map<string, number>> {
  const found = (await runtime.registry.getMetricsAsJSON()).find((candidate) => candidate.name === metric)
  const sums = new Map<string, number>()
  for (const value of found?.values ?? []) {
    const key = String(value.labels[label] ?? '')
    sums.set(key, (sums.get(key) ?? 0) + value.value)
  }
  return sums
}

describe('ClickHouse user pulse_writer (infra/clickhouse/users.d/pulse.xml)', () => {
  it('migrates, restores and writes every table of a real pipeline run, and is refused anything else', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulse-writer-'))
    const local = openClickHouseAs('pulse_writer', dataDir)
    onTestFinished(async () => {
      await local.close()
      rmSync(dataDir, { recursive: true, force: true })
    })
    const config = loadConfig({
      flags: {
        'data-dir': dataDir,
        database: 'pulse',
        'kinesis-endpoint': inject('kinesisEndpoint'),
        'dynamodb-endpoint': inject('dynamodbEndpoint'),
        'stream-prefix': uniqueName('writer').replaceAll('_', '-'),
        'flush-interval-ms': '200',
        // Windows are written once they close: short ones close within the test.
        'window-seconds': '5',
      },
    })
    const runtime: Runtime = { config, logger: testLogger().logger, registry: createRegistry() }
    const abort = new AbortController()

    const sinkParts = await openSink(runtime, abort.signal)
    const streams = await openStreams(runtime, false)
    const transport = streams.transport()
    await transport.ensureStreams(Object.values(streams.streams))
    const fatal: unknown[] = []
    const processor = streamProcessor(runtime, sinkParts, streams.source(sinkParts.store), streams.streams, (error) => fatal.push(error))
    await processor.start()
    const producing = new AbortController()
    const driving = driveTraffic({ transport, streams: streams.streams, traffics: generatedTraffic(config, 'all', Date.now()), logger: runtime.logger, signal: producing.signal })
    onTestFinished(async () => {
      producing.abort()
      await driving.catch(() => undefined)
      await processor.stop()
      abort.abort()
      await transport.close()
      await streams.close()
      await sinkParts.clickhouse.close()
    })

    const rows = await pollUntil(
      () => sumBy(runtime, 'pulse_sink_rows_total', 'table'),
      (byTable) => WRITTEN.every((table) => (byTable.get(table) ?? 0) > 0) || fatal.length > 0,
      { what: `rows acknowledged in ${WRITTEN.join(', ')}`, timeoutMs: 45_000 },
    )
    expect(fatal).toEqual([])
    expect(Object.fromEntries(rows)).toMatchObject(Object.fromEntries(WRITTEN.map((table) => [table, expect.any(Number)])))
    // A refused insert is retried without end (and counted), so none may have happened.
    expect(Object.fromEntries(await sumBy(runtime, 'pulse_sink_retries_total', 'cause'))).toEqual({})
    expect((await sumBy(runtime, 'pulse_sink_inserts_total', 'result')).get('rejected') ?? 0).toBe(0)

    expect(await refusal(local.clickhouse, 'SELECT count() FROM pulse.network_flows')).toMatch(REFUSED)
    expect(await refusal(local.clickhouse, 'DROP TABLE pulse.client_events')).toMatch(REFUSED)
    expect(await refusal(local.clickhouse, 'CREATE DATABASE elsewhere')).toMatch(REFUSED)
    expect(await refusal(local.clickhouse, 'ALTER TABLE pulse.client_events DROP COLUMN isp')).toMatch(REFUSED)
  })
})
