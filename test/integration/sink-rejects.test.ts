// The sink against the real engine: a block with rows ClickHouse refuses as bad data is split until
// the bad rows stand alone; they come back (for dead_letters) with ClickHouse's reason and every other
// row of the block lands, in the table's own column types.
import { describe, expect, it } from 'vitest'
import { ClickHouseSink } from '../../sinks/clickhouse/sink.ts'
import type { Row } from '../../pipeline/rows.ts'
import { clientEventRow } from '../../processors/rows.ts'
import { clientEvent } from '../unit/schemas/fixtures.ts'
import { createSinkMetrics } from '../../sinks/clickhouse/metrics.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { embeddedClickHouse, testLogger, uniqueName } from '../helpers/services.ts'

async function sinkOnNewDatabase(): Promise<{ sink: ClickHouseSink; database: string }> {
  const { clickhouse } = embeddedClickHouse()
  const database = uniqueName('sink')
  const sink = new ClickHouseSink(clickhouse, { database, metrics: createSinkMetrics(createRegistry()), logger: testLogger().logger })
  await sink.start()
  return { sink, database }
}

function flowRow(index: number): Row {
  return {
    flow_start: 1_700_000_000 + index,
    flow_end: 1_700_000_060 + index,
    version: 2,
    account_id: '123456789012',
    interface_id: `eni-${index}`,
    src_addr: '10.0.0.1',
    dst_addr: '10.0.0.2',
    src_port: 443,
    dst_port: null,
    packets: 10,
    bytes: 8400,
    action: 'ACCEPT',
    log_status: 'OK',
    ingest_time: 1_700_000_100_000,
    source_partition: '0',
    source_position: String(index),
  }
}

describe('ClickHouse sink, bad rows', () => {
  it('isolates the rows ClickHouse refuses and lands the rest of the block', async () => {
    const { sink, database } = await sinkOnNewDatabase()
    const rows = Array.from({ length: 16 }, (_, index) => flowRow(index))
    rows[5] = { ...flowRow(5), packets: 'many' }
    rows[12] = { ...flowRow(12), flow_end: 'yesterday' }
    const rejected = await sink.write({ table: 'network_flows', rows, token: uniqueName('block') })

    expect(rejected.map((rejection) => rejection.row?.source_position).sort()).toEqual(['12', '5'])
    for (const rejection of rejected) expect(rejection.error).toMatch(/^ClickHouse error (27|41): Cannot (parse|read)/)
    const { clickhouse } = embeddedClickHouse()
    const result = await clickhouse.client.query({
      query: `SELECT source_position, dst_port, toString(packets) AS packets, src_app, toUnixTimestamp(flow_start) AS start FROM ${database}.network_flows ORDER BY toUInt32(source_position)`,
      format: 'JSONEachRow',
    })
    const stored = await result.json<{ source_position: string; dst_port: number | null; packets: string; src_app: string; start: number }>()
    expect(stored.map((row) => row.source_position)).toEqual(rows.map((row) => row.source_position).filter((position) => position !== '5' && position !== '12'))
    // Sent null and left out: the column's own null and default.
    expect(stored[0]).toEqual({ source_position: '0', dst_port: null, packets: '10', src_app: '', start: 1_700_000_000 })
  })

  it('writes rows whose keys differ: each column lands under its own name', async () => {
    const { sink, database } = await sinkOnNewDatabase()
    const first = flowRow(1)
    const reordered = Object.fromEntries(Object.entries(flowRow(2)).reverse())
    const rejected = await sink.write({ table: 'network_flows', rows: [first, { ...reordered, src_app: 'playback-api' }], token: uniqueName('block') })
    expect(rejected).toEqual([])
    const { clickhouse } = embeddedClickHouse()
    const result = await clickhouse.client.query({ query: `SELECT interface_id, src_app FROM ${database}.network_flows ORDER BY interface_id`, format: 'JSONEachRow' })
    expect(await result.json()).toEqual([
      { interface_id: 'eni-1', src_app: '' },
      { interface_id: 'eni-2', src_app: 'playback-api' },
    ])
  })

  it('halves an encoded block by its rows: a row whose bytes the engine cannot read comes back alone, with its bytes', async () => {
    const { sink, database } = await sinkOnNewDatabase()
    const buffer = sink.rowBuffer('client_events')
    if (buffer === undefined) throw new Error('the embedded engine takes RowBinary')
    const rows = Array.from({ length: 8 }, (_, index) => clientEventRow(clientEvent({ event_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}` }), { ingestTimeMs: 1_700_000_000_000, partition: '0', position: String(index) }))
    for (const row of rows) expect(buffer.append(row)).toBe(true)
    const encoded = buffer.finish()
    // Row 5's event_id (the String after its 8-byte event_time) claims 127 bytes: past its own row's end, so no half holding it can be read.
    const bytes = Buffer.from(encoded.bytes)
    const lengthAt = (encoded.rowStarts[5] as number) + 8
    expect(bytes[lengthAt]).toBe(36)
    bytes[lengthAt] = 127
    const rejected = await sink.write({ table: 'client_events', rows: [], token: uniqueName('block'), encoded: { ...encoded, bytes } })
    expect(rejected).toHaveLength(1)
    expect(rejected[0]?.row).toBeUndefined()
    expect(rejected[0]?.encoded?.bytes.equals(bytes.subarray(encoded.rowStarts[5], encoded.rowStarts[6]))).toBe(true)
    expect(rejected[0]?.error).toMatch(/^ClickHouse error \d+: /)
    const { clickhouse } = embeddedClickHouse()
    const result = await clickhouse.client.query({ query: `SELECT source_position FROM ${database}.client_events ORDER BY toUInt32(source_position)`, format: 'JSONEachRow' })
    expect((await result.json<{ source_position: string }>()).map((row) => row.source_position)).toEqual(['0', '1', '2', '3', '4', '6', '7'])
  })
})
