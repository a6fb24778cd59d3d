import { describe, expect, it } from 'vitest'
import { assertWholeAnswer } from '../../../sinks/clickhouse/state-store.ts'

describe('reading a partition history back', () => {
  it('refuses an answer that ended before its row count', () => {
    expect(() => assertWholeAnswer('shardId-000000000000', 130_818, 153_215)).toThrow(/shardId-000000000000's history .* ended after 130818 of 153215 events/)
  })

  it('accepts an answer with every row', () => {
    expect(() => assertWholeAnswer('0', 153_215, 153_215)).not.toThrow()
    expect(() => assertWholeAnswer('0', 0, 0)).not.toThrow()
  })
})
