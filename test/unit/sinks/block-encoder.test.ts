// The insert encoders without a server: JSONCompactEachRow bodies are byte for byte what
// JSON.stringify of each row's array would be (the format the sink sent before, which ClickHouse
// read correctly), apart from the documented differences; RowBinary bodies are laid out as
// ClickHouse's RowBinary reads them; values no column can hold are refused, not sent.
import { describe, expect, it } from 'vitest'
import type { Row } from '../../../pipeline/rows.ts'
import { encodeBlock } from '../../../sinks/clickhouse/encode/block-encoder.ts'
import { blockColumns, columnList } from '../../../sinks/clickhouse/encode/block-columns.ts'
import { isBinaryEncodable, parseColumnType } from '../../../sinks/clickhouse/encode/column-type.ts'
import { RowEncodingError, classifyInsertError } from '../../../sinks/clickhouse/errors.ts'
import { columnsOf, TABLE_NAMES } from '../../../schemas/tables.ts'

/** What the sink sent before: JSON.stringify of each row as an array in the block's column order. */
function stringified(columns: readonly string[], rows: readonly Row[]): string {
  return rows.map((row) => `${JSON.stringify(columns.map((column) => row[column] ?? null))}\n`).join('')
}

const NASTY = ['', 'plain', 'quote " and \' apostrophe', 'back\\slash \\n not a newline', 'tab\there\nnewline\r\n', '\u0000\u0001\u0008\u000b\u000c\u001f\u007f', 'é ü ß ñ', '日本語のテキスト', '😀 emoji 👍🏽 pair', '\u2028\u2029 separators', 'mixed é"\\\n😀\u0000 end', 'x'.repeat(5000) + 'é']

function sessionRow(index: number, text: string): Row {
  return {
    session_id: text, profile_id: `p-${index}`, device_id: text, device_type: 'tv', app_session_id: 'a', title_id: text,
    country: 'DE', isp: text, cdn: '', ab_cells: [text, 'cell:1', ''], start_time: 1_700_000_000_123 + index, end_time: 1_700_000_060_999,
    started: 1, startup_ms: index % 2 === 0 ? null : 812, rebuffer_count: 3, rebuffer_ms: 4_294_967_296 + index, played_ms: Number.MAX_SAFE_INTEGER,
    rebuffer_ratio: 0.1 + index / 7, avg_bitrate_kbps: index % 3 === 0 ? null : 1234.5678, peak_bitrate_kbps: 4_294_967_295, errors: 0, glitches: 2,
    exit_reason: text, autoplay_next: 0, ended: 1, version: 1_733_000_000_000_000 + index,
  }
}

describe('JSONCompactEachRow bodies', () => {
  it('are byte for byte what JSON.stringify writes for every nasty string, number, null and array', () => {
    const rows = NASTY.map((text, index) => sessionRow(index, text))
    const body = encodeBlock('playback_sessions', rows, 'JSONCompactEachRow')
    expect(body.format).toBe('JSONCompactEachRow')
    expect(body.columns).toEqual(columnsOf('playback_sessions').map(([name]) => name))
    expect(body.bytes.toString('utf8')).toBe(stringified(body.columns, rows))
  })

  it('write maps (plain objects) as JSON.stringify does, and a JS Map as the same object', () => {
    const row = (hist: unknown): Row => ({ minute: '2026-12-01 22:00:00', device_type: 't"v', country: 'DE', cdn: 'c', play_attempts: 1, plays: 1, failed_plays: 0, startup_ms_hist: hist, rebuffer_events: 0, rebuffer_ms: 0, played_ms: 5, glitches: 0, errors: 0, corrections: 0 })
    const plain = { 100: 2, 1600: 1 }
    const body = encodeBlock('qoe_1m', [row(plain), row({})], 'JSONCompactEachRow')
    expect(body.bytes.toString('utf8')).toBe(stringified(body.columns, [row(plain), row({})]))
    const fromMap = encodeBlock('qoe_1m', [row(new Map([[100, 2], [1600, 1]])), row({})], 'JSONCompactEachRow')
    expect(fromMap.bytes.equals(body.bytes)).toBe(true)
  })

  it('write a bigint as its digits, Float NaN and ±Infinity as ClickHouse spells them, a lone surrogate as U+FFFD', () => {
    const row = { ...sessionRow(0, 'lone \ud800 high, \udc00 low'), version: 18_446_744_073_709_551_615n, rebuffer_ratio: NaN, avg_bitrate_kbps: -Infinity }
    const text = encodeBlock('playback_sessions', [row], 'JSONCompactEachRow').bytes.toString('utf8')
    expect(text).toContain(',18446744073709551615]')
    expect(text).toContain(',"nan","-inf",')
    expect(text).toContain('"lone \ufffd high, \ufffd low"')
    // A double beyond 2^53 is written as the integer it is, not as its shortest decimal spelling.
    const big = encodeBlock('playback_sessions', [{ ...sessionRow(0, 'x'), version: 2 ** 60 }], 'JSONCompactEachRow').bytes.toString('utf8')
    expect(big).toContain(',1152921504606846976]')
  })

  it('pass values of an unexpected kind through as JSON for the server to judge, as before', () => {
    const rows = [{ ...sessionRow(0, 'x'), rebuffer_ms: 'many', errors: true, ab_cells: 'not an array' }]
    const body = encodeBlock('playback_sessions', rows, 'JSONCompactEachRow')
    expect(body.bytes.toString('utf8')).toBe(stringified(body.columns, rows))
  })
})

describe('values no column can hold exactly', () => {
  it.each([
    ['a UInt8 above 255', { started: 256 }],
    ['a negative UInt32', { errors: -1 }],
    ['a fraction in a UInt64', { played_ms: 1.5 }],
    ['NaN in an integer column', { glitches: NaN }],
    ['a bigint beyond UInt64', { version: 1n << 64n }],
    ['2^64 as a double', { version: 2 ** 64 }],
  ])('are refused as bad data in every format: %s', (_what, change) => {
    for (const format of ['JSONCompactEachRow', 'RowBinary'] as const) {
      let caught: unknown
      try {
        encodeBlock('playback_sessions', [{ ...sessionRow(0, 'x'), ...change }], format)
      } catch (error) {
        caught = error
      }
      expect(caught, format).toBeInstanceOf(RowEncodingError)
      expect(classifyInsertError(caught)).toBe('bad_data')
    }
  })
})

describe('RowBinary bodies', () => {
  it('lay a row out as ClickHouse reads RowBinary: varint-length UTF-8 strings, little-endian ticks', () => {
    const body = encodeBlock('dead_letter_replays', [{ id: 'aé', replayed_at: 1000, target_stream: '' }], 'RowBinary')
    expect(body.format).toBe('RowBinary')
    expect(body.bytes.toString('hex')).toBe(['03', '61c3a9', 'e803000000000000', '00'].join(''))
  })

  it('write every string as its varint length and Buffer.from bytes, ASCII or not, either side of the one-byte length', () => {
    const texts = [...NASTY, 'a'.repeat(127), 'a'.repeat(128), `${'a'.repeat(126)}é`, `${'a'.repeat(127)}é`, `é${'a'.repeat(200)}`, 'lone \ud800 high']
    for (const text of texts) {
      const bytes = encodeBlock('dead_letter_replays', [{ id: text, replayed_at: 0, target_stream: 'x' }], 'RowBinary').bytes
      const utf8 = Buffer.from(text, 'utf8')
      const length = utf8.length < 0x80 ? Buffer.from([utf8.length]) : Buffer.from([(utf8.length & 0x7f) | 0x80, utf8.length >> 7])
      expect(bytes.subarray(0, length.length + utf8.length).equals(Buffer.concat([length, utf8])), JSON.stringify(text.slice(0, 20))).toBe(true)
      expect(bytes.subarray(length.length + utf8.length + 8).toString('hex')).toBe('0178')
    }
  })

  it('write Nullable flags, arrays, maps with numeric keys, DateTime text and 64-bit values', () => {
    const row: Row = { minute: '2026-12-01 22:01:00', device_type: 'tv', country: 'DE', cdn: '', play_attempts: 2 ** 32 + 1, plays: 0n, failed_plays: 0, startup_ms_hist: { 100: 2 }, rebuffer_events: 0, rebuffer_ms: 0, played_ms: 0, glitches: 0, errors: 0, corrections: 0 }
    const bytes = encodeBlock('qoe_1m', [row], 'RowBinary').bytes
    const minute = Date.UTC(2026, 11, 1, 22, 1, 0) / 1000
    expect(bytes.readUInt32LE(0)).toBe(minute)
    const afterStrings = 4 + 3 + 3 + 1
    expect(bytes.readBigUInt64LE(afterStrings)).toBe(2n ** 32n + 1n)
    const map = afterStrings + 8 * 3
    expect(bytes.subarray(map, map + 11).toString('hex')).toBe(['01', '6400', '0200000000000000'].join(''))
    const flows = encodeBlock('network_flows', [{ flow_start: 1, flow_end: 2, version: 2n, src_port: null, dst_port: 443 }], 'RowBinary').bytes
    expect(flows.toString('hex')).toBe(['01000000', '02000000', '02', '01', '00bb01'].join(''))
  })

  it('fall back to JSONCompactEachRow for a block with a value that has no exact binary form', () => {
    const rows = [sessionRow(0, 'x'), { ...sessionRow(1, 'y'), end_time: '2026-12-01T22:00:00Z' }]
    const body = encodeBlock('playback_sessions', rows, 'RowBinary')
    expect(body.format).toBe('JSONCompactEachRow')
    expect(body.bytes.toString('utf8')).toBe(stringified(body.columns, rows))
  })

  it('exist for every column of every table Pulse writes', () => {
    for (const table of TABLE_NAMES) for (const [column, type] of columnsOf(table)) expect(isBinaryEncodable(parseColumnType(type)), `${table}.${column} ${type}`).toBe(true)
  })
})

describe('block columns', () => {
  const defined = ['a', 'b', 'c']

  it('are the table definition itself when every row names exactly its columns', () => {
    expect(blockColumns(defined, [{ a: 1, b: 2, c: 3 }])).toBe(defined)
  })

  it('leave out what no row names (its DEFAULT applies) and keep names the table lacks, for the server to refuse', () => {
    expect(blockColumns(defined, [{ c: 1, a: 2 }, { a: 3, extra: 4 }])).toEqual(['a', 'c', 'extra'])
    expect(blockColumns([], [{ y: 1 }, { x: 2, y: 3 }])).toEqual(['y', 'x'])
  })

  it('are quoted for the INSERT', () => {
    expect(columnList(['event_time', 'odd`name'])).toBe('`event_time`, `odd\\`name`')
  })
})
