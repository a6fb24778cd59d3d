// A kafkajs batch's lag as the pipeline's SourceBatch.behind: what the stream held past the batch.
import { describe, expect, it } from 'vitest'
import { behindAfter } from '../../../../../processors/source/kafka/records.ts'

describe('behindAfter', () => {
  it("reads kafkajs's offset lag (a decimal string) as a number of messages", () => {
    expect(behindAfter({ offsetLag: () => '25000' })).toBe(25_000)
    expect(behindAfter({ offsetLag: () => '0' })).toBe(0)
  })

  it('is undefined when the lag is not a count (no high watermark known)', () => {
    expect(behindAfter({ offsetLag: () => '-1' })).toBeUndefined()
    expect(behindAfter({ offsetLag: () => 'NaN' })).toBeUndefined()
  })
})
