import { describe, expect, it } from 'vitest'
import { fetchSizes } from '../../../../../processors/source/kafka/fetch-size.ts'

describe('fetchSizes', () => {
  it("keeps kafkajs's defaults when the budget is large or unset", () => {
    expect(fetchSizes(undefined)).toEqual({ maxBytes: 10 << 20, maxBytesPerPartition: 1 << 20 })
    expect(fetchSizes(1 << 30)).toEqual({ maxBytes: 10 << 20, maxBytesPerPartition: 1 << 20 })
  })

  it('brings at most a quarter of a small budget a fetch', () => {
    expect(fetchSizes(4 << 20)).toEqual({ maxBytes: 1 << 20, maxBytesPerPartition: 1 << 20 })
    expect(fetchSizes(2 << 20)).toEqual({ maxBytes: 512 << 10, maxBytesPerPartition: 512 << 10 })
  })
})
