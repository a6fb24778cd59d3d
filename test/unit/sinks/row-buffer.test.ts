// Rows encoded as they arrive must be the bytes encodeBlock writes for the same rows, and a row the
// encoding cannot hold must leave nothing behind: it stays an object for the block's other path.
import { describe, expect, it } from 'vitest'
import { clientEventRow } from '../../../processors/rows.ts'
import type { Row } from '../../../pipeline/rows.ts'
import { encodeBlock } from '../../../sinks/clickhouse/encode/block-encoder.ts'
import { binaryRowBuffer } from '../../../sinks/clickhouse/encode/row-buffer.ts'
import { clientEvent } from '../schemas/fixtures.ts'

function rows(count: number): Row[] {
  return Array.from({ length: count }, (_, index) =>
    clientEventRow(clientEvent({ event_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, search_query: index % 2 === 0 ? 'naïve "quotes"' : null }), { ingestTimeMs: 1_700_000_000_000 + index, partition: '0', position: String(index) }),
  )
}

describe('BinaryRowBuffer', () => {
  it('writes the bytes encodeBlock writes for the same rows, with where each row starts', () => {
    const buffer = binaryRowBuffer('client_events')
    if (buffer === undefined) throw new Error('client_events has a binary encoding')
    const input = rows(5)
    for (const row of input) expect(buffer.append(row)).toBe(true)
    const encoded = buffer.finish()
    const block = encodeBlock('client_events', input, 'RowBinary')
    expect(block.format).toBe('RowBinary')
    expect(encoded.columns).toEqual(block.columns)
    expect(encoded.bytes.equals(block.bytes)).toBe(true)
    expect(encoded.rowStarts).toHaveLength(5)
    expect(encoded.bytes.subarray(encoded.rowStarts[2], encoded.rowStarts[3]).equals(encodeBlock('client_events', [input[2] as Row], 'RowBinary').bytes)).toBe(true)
  })

  it('refuses a row with other columns or a value no column holds, and keeps no bytes of it', () => {
    const buffer = binaryRowBuffer('client_events')
    if (buffer === undefined) throw new Error('client_events has a binary encoding')
    const [first, second, third] = rows(3) as [Row, Row, Row]
    expect(buffer.append(first)).toBe(true)
    const { received_at: _dropped, ...missingColumn } = second
    expect(buffer.append(missingColumn)).toBe(false)
    // row_position is UInt16: written after many columns, so a refusal part-way must roll back.
    expect(buffer.append({ ...second, row_position: 70_000 })).toBe(false)
    expect(buffer.append(third)).toBe(true)
    expect(buffer.rows).toBe(2)
    expect(buffer.finish().bytes.equals(encodeBlock('client_events', [first, third], 'RowBinary').bytes)).toBe(true)
  })

  it('has no buffer for a table Pulse does not define', () => {
    expect(binaryRowBuffer('not_a_table')).toBeUndefined()
  })
})
