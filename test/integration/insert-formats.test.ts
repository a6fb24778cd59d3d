// Every insert format the sink ships, against the real engine: rows holding every column type Pulse
// writes, with nasty values, are read back equal, byte for byte where it matters, whether they went
// as RowBinary (read from a file by the embedded engine, sent as the body over the HTTP interface of
// the embedded engine served as a server) or as their JSONCompactEachRow fallback (chDB's raw insert).
// A block repeated under its token is written once either way, and bad rows are isolated too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Row } from '../../pipeline/rows.ts'
import { connectClickHouse, type ClickHouse } from '../../sinks/clickhouse/connection.ts'
import { encodeBlock, type InsertFormat } from '../../sinks/clickhouse/encode/block-encoder.ts'
import { sendInsert } from '../../sinks/clickhouse/insert-sender.ts'
import { createSinkMetrics } from '../../sinks/clickhouse/metrics.ts'
import { ClickHouseSink } from '../../sinks/clickhouse/sink.ts'
import { createRegistry } from '../../runtime/metrics.ts'
import { serveEngine, WRITER_PASSWORD, type ServedEngine } from '../helpers/embedded-http.ts'
import { testLogger, uniqueName } from '../helpers/services.ts'

let engine: ServedEngine
let http: ClickHouse

beforeAll(async () => {
  engine = await serveEngine()
  await sinkOn(engine.pipeline).start()
  http = connectClickHouse({ url: engine.url, dataDir: '', username: 'pulse_writer', password: WRITER_PASSWORD })
})

afterAll(async () => {
  await http.close()
  await engine.close()
})

function sinkOn(clickhouse: ClickHouse): ClickHouseSink {
  return new ClickHouseSink(clickhouse, { database: 'pulse', metrics: createSinkMetrics(createRegistry()), logger: testLogger().logger, retry: { initialDelayMs: 10, maxDelayMs: 50 } })
}

const NASTY = ['', 'quote " apostrophe \' backslash \\ \\n', 'tab\tnewline\ncr\r', '\u0000\u0001\u001f\u007f', 'é ü 日本語', '😀 👍🏽', '\u2028\u2029', 'lone \ud800 and \udc00', 'x'.repeat(3000)]

/** What the engine should hold for a JS string: its UTF-8 (a lone surrogate as U+FFFD). */
const stored = (text: string): string => Buffer.from(text, 'utf8').toString('hex').toUpperCase()
const bits = (value: number): string => (Number.isNaN(value) ? 'nan' : new BigUint64Array(new Float64Array([value]).buffer)[0]?.toString() ?? '')

function sessionRow(key: string, index: number): Row {
  const text = NASTY[index % NASTY.length] as string
  const floats = [NaN, Infinity, -Infinity, -0, 5e-324, Number.MAX_VALUE, 0.1 + 0.2, 1 / 3]
  return {
    session_id: `${key}-${index}`, profile_id: key, device_id: text, device_type: text, app_session_id: text, title_id: text,
    country: 'DE', isp: text, cdn: '', ab_cells: index % 2 === 0 ? [] : [text, '', 'cell:1'],
    start_time: [0, 1, 1_700_000_000_123, 10_413_791_999_999][index % 4], end_time: 1_733_090_400_000 + index,
    started: index % 2, startup_ms: index % 3 === 0 ? null : 4_294_967_295, rebuffer_count: 0, rebuffer_ms: 2 ** 53 + 2,
    played_ms: 18_446_744_073_709_551_615n, rebuffer_ratio: floats[index % floats.length], avg_bitrate_kbps: index % 2 === 0 ? null : floats[(index + 3) % floats.length],
    peak_bitrate_kbps: null, errors: 4_294_967_295, glitches: 0, exit_reason: text, autoplay_next: 1, ended: 0, version: (BigInt(index % 16) << 60n) + 7n,
  }
}

function qoeRow(key: string, index: number): Row {
  const hist = index % 2 === 0 ? {} : { 1: 1, 100: 2 ** 53 + 2, 65535: 18_446_744_073_709_551_615n }
  return { minute: index % 2 === 0 ? '2026-12-01 22:00:00' : 4_294_967_295, device_type: 'tv', country: NASTY[index % NASTY.length], cdn: `${key}-${index}`, play_attempts: 1, plays: 0, failed_plays: 0, startup_ms_hist: hist, rebuffer_events: 0, rebuffer_ms: 0, played_ms: 2 ** 53 + 2, glitches: 0, errors: 0, corrections: 18_446_744_073_709_551_615n }
}

async function select(sql: string, key: string): Promise<Record<string, unknown>[]> {
  const result = await engine.pipeline.client.query({ query: sql, query_params: { key }, format: 'JSONEachRow' })
  return result.json<Record<string, unknown>>()
}

async function readSessions(key: string): Promise<Record<string, unknown>[]> {
  return select(
    `SELECT hex(device_id) AS device, hex(device_type) AS type, arrayMap(c -> hex(c), ab_cells) AS cells, toString(toUnixTimestamp64Milli(start_time)) AS start,
            toString(toUnixTimestamp64Milli(end_time)) AS end, started, startup_ms, toString(rebuffer_ms) AS rebuffer, toString(played_ms) AS played,
            if(isNaN(rebuffer_ratio), 'nan', toString(reinterpretAsUInt64(rebuffer_ratio))) AS ratio,
            if(isNull(avg_bitrate_kbps), NULL, if(isNaN(assumeNotNull(avg_bitrate_kbps)), 'nan', toString(reinterpretAsUInt64(assumeNotNull(avg_bitrate_kbps))))) AS bitrate,
            peak_bitrate_kbps AS peak, errors, toString(version) AS version
     FROM pulse.playback_sessions WHERE profile_id = {key:String} ORDER BY toUInt32(splitByChar('-', session_id)[-1])`,
    key,
  )
}

function expectedSession(row: Row): Record<string, unknown> {
  const cells = row.ab_cells as string[]
  const bitrate = row.avg_bitrate_kbps as number | null
  return {
    device: stored(row.device_id as string), type: stored(row.device_type as string), cells: cells.map(stored), start: String(row.start_time), end: String(row.end_time),
    started: row.started, startup_ms: row.startup_ms, rebuffer: String(row.rebuffer_ms), played: String(row.played_ms), ratio: bits(row.rebuffer_ratio as number),
    bitrate: bitrate === null ? null : bits(bitrate), peak: null, errors: row.errors, version: String(row.version),
  }
}

async function readQoe(key: string): Promise<Record<string, unknown>[]> {
  return select(
    `SELECT toString(toUnixTimestamp(minute)) AS minute, hex(country) AS country, toString(startup_ms_hist) AS hist, toString(played_ms) AS played, toString(corrections) AS corrections
     FROM pulse.qoe_1m WHERE startsWith(cdn, {key:String}) ORDER BY toUInt32(splitByChar('-', cdn)[-1])`,
    key,
  )
}

function expectedQoe(row: Row): Record<string, unknown> {
  const minute = typeof row.minute === 'string' ? Date.parse(`${row.minute.replace(' ', 'T')}Z`) / 1000 : (row.minute as number)
  const hist = Object.entries(row.startup_ms_hist as Record<string, unknown>).map(([bucket, count]) => `${bucket}:${String(count)}`)
  return { minute: String(minute), country: stored(row.country as string), hist: `{${hist.join(',')}}`, played: String(row.played_ms), corrections: String(row.corrections) }
}

const paths: [string, () => ClickHouse, InsertFormat][] = [
  ['embedded, RowBinary from a private file', () => engine.pipeline, 'RowBinary'],
  ['embedded, JSONCompactEachRow through chDB raw insert (the fallback)', () => engine.pipeline, 'JSONCompactEachRow'],
  ['HTTP, RowBinary', () => http, 'RowBinary'],
  ['HTTP, JSONCompactEachRow (the fallback for values without a binary form)', () => http, 'JSONCompactEachRow'],
]

describe.each(paths)('insert bodies: %s', (_name, target, format) => {
  it('round-trip every column type with nasty values exactly', async () => {
    const key = uniqueName('exact')
    const sessions = Array.from({ length: 18 }, (_, index) => sessionRow(key, index))
    const qoe = Array.from({ length: 6 }, (_, index) => qoeRow(key, index))
    for (const [table, rows] of [['playback_sessions', sessions], ['qoe_1m', qoe]] as const) {
      const body = encodeBlock(table, rows, format)
      expect(body.format).toBe(format)
      await sendInsert(target(), { database: 'pulse', table, token: uniqueName('token') }, body)
    }
    expect(await readSessions(key)).toEqual(sessions.map(expectedSession))
    expect(await readQoe(key)).toEqual(qoe.map(expectedQoe))
  })
})

describe.each([
  ['embedded', () => engine.pipeline],
  ['HTTP', () => http],
] as const)('the sink on the %s path', (_name, target) => {
  it('writes a block repeated under the same token once, and again under another token', async () => {
    // network_flows keeps a deduplication window (migrations); a table without one ignores tokens.
    const key = uniqueName('dedup')
    const sink = sinkOn(target())
    const rows = Array.from({ length: 5 }, (_, index) => ({ flow_start: 1_700_000_000 + index, flow_end: 1_700_000_060, version: 2, interface_id: key, src_addr: NASTY[index], vpc_id: index % 2 === 0 ? null : NASTY[index], packets: 18_446_744_073_709_551_615n }))
    const count = async (): Promise<unknown> => (await select('SELECT toString(count()) AS n, toString(uniqExact(src_addr)) AS addrs FROM pulse.network_flows WHERE interface_id = {key:String}', key))[0]
    const token = uniqueName('block')
    expect(await sink.write({ table: 'network_flows', rows, token })).toEqual([])
    expect(await sink.write({ table: 'network_flows', rows, token })).toEqual([])
    expect(await count()).toEqual({ n: '5', addrs: '5' })
    expect(await sink.write({ table: 'network_flows', rows, token: `${token}-other` })).toEqual([])
    expect(await count()).toEqual({ n: '10', addrs: '5' })
  })

  it('isolates the rows no format can store and the rows the server refuses, and lands the rest', async () => {
    const key = uniqueName('bad')
    const rows = Array.from({ length: 12 }, (_, index) => sessionRow(key, index))
    rows[3] = { ...sessionRow(key, 3), started: 300 }
    rows[8] = { ...sessionRow(key, 8), end_time: 'yesterday' }
    const rejected = await sinkOn(target()).write({ table: 'playback_sessions', rows, token: uniqueName('block') })
    expect(rejected.map((rejection) => rejection.row?.session_id)).toEqual([`${key}-3`, `${key}-8`])
    expect(rejected[0]?.error).toBe('Cannot write 300 to column started of type UInt8')
    expect(rejected[1]?.error).toMatch(/^ClickHouse error 41: Cannot (parse|read)/)
    const landed = rows.filter((_, index) => index !== 3 && index !== 8)
    expect(await readSessions(key)).toEqual(landed.map(expectedSession))
  })
})
