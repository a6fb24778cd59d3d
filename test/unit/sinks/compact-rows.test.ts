import { describe, expect, it } from 'vitest'
import { columnList, compactRows } from '../../../sinks/clickhouse/compact-rows.ts'

describe('compactRows', () => {
  it('lays every row out in one column order, the first row deciding it', () => {
    const result = compactRows([
      { b: 1, a: 'x' },
      { a: 'y', b: 2 },
    ])
    expect(result.columns).toEqual(['b', 'a'])
    expect(result.values).toEqual([
      [1, 'x'],
      [2, 'y'],
    ])
  })

  it('adds columns only later rows name and sends null (the default) where a row lacks one', () => {
    const result = compactRows([{ a: 1, b: undefined }, { a: 2, c: { k: 3 } }])
    expect(result.columns).toEqual(['a', 'b', 'c'])
    expect(result.values).toEqual([
      [1, null, null],
      [2, null, { k: 3 }],
    ])
  })

  it('quotes column names for the INSERT', () => {
    expect(columnList(['event_time', 'odd`name'])).toBe('`event_time`, `odd\\`name`')
  })
})
