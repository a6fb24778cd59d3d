// The Kafka source's decisions that need no broker: where an assigned partition resumes, and
// heartbeating while a slow batch handler waits.
import { describe, expect, it, vi } from 'vitest'
import { startPosition } from '../../../../../processors/source/kafka/start-position.ts'
import { isGroupChange, whileHeartbeating } from '../../../../../processors/source/kafka/heartbeats.ts'
import { createLogger } from '../../../../../runtime/logger.ts'
import type { Checkpoint } from '../../../../../pipeline/checkpoint.ts'

const at = (position: string | undefined): Checkpoint => ({ source: 'kafka', stream: 't', partition: '0', position, pending: undefined, state: '' })

describe('startPosition', () => {
  it('resumes at the Kafka commit when ClickHouse is not ahead of it', () => {
    expect(startPosition('100', at('99'))).toEqual({ from: 'kafka', offset: '100' })
    expect(startPosition('100', at('50'))).toEqual({ from: 'kafka', offset: '100' })
    expect(startPosition('100', undefined)).toEqual({ from: 'kafka', offset: '100' })
  })

  it('resumes after ClickHouse when its commit landed and Kafka’s did not', () => {
    expect(startPosition('100', at('100'))).toEqual({ from: 'clickhouse', offset: '101' })
    expect(startPosition('-1', at('7'))).toEqual({ from: 'clickhouse', offset: '8' })
    expect(startPosition(undefined, at('0'))).toEqual({ from: 'clickhouse', offset: '1' })
  })

  it('starts at the earliest record when nothing is committed anywhere', () => {
    expect(startPosition('-1', undefined)).toEqual({ from: 'earliest' })
    expect(startPosition(undefined, at(undefined))).toEqual({ from: 'earliest' })
  })

  it('compares offsets beyond 2^53 exactly', () => {
    expect(startPosition('9007199254740993', at('9007199254740993'))).toEqual({ from: 'clickhouse', offset: '9007199254740994' })
  })
})

describe('whileHeartbeating', () => {
  const logger = createLogger({ level: 'fatal', pretty: false })
  const rebalancing = Object.assign(new Error('The group is rebalancing'), { type: 'REBALANCE_IN_PROGRESS' })

  it('heartbeats while the work waits and reports a rebalance once the work is done', async () => {
    vi.useFakeTimers()
    try {
      const heartbeat = vi.fn<() => Promise<void>>().mockResolvedValueOnce(undefined).mockRejectedValue(rebalancing)
      let finish: () => void = () => undefined
      const outcome = whileHeartbeating(heartbeat, 1000, () => new Promise<void>((resolve) => (finish = resolve)), logger)
      await vi.advanceTimersByTimeAsync(3500)
      expect(heartbeat).toHaveBeenCalledTimes(3)
      finish()
      expect(await outcome).toBe(rebalancing)
      await vi.advanceTimersByTimeAsync(5000)
      expect(heartbeat).toHaveBeenCalledTimes(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('lets the work see a group change as soon as a heartbeat meets it', async () => {
    vi.useFakeTimers()
    try {
      const heartbeat = vi.fn<() => Promise<void>>().mockResolvedValueOnce(undefined).mockRejectedValue(rebalancing)
      const seen: boolean[] = []
      const outcome = whileHeartbeating(heartbeat, 1000, async (groupChanged) => {
        for (let step = 0; step < 3; step++) {
          seen.push(groupChanged())
          await new Promise((resolve) => setTimeout(resolve, 1100))
        }
      }, logger)
      await vi.advanceTimersByTimeAsync(4000)
      expect(await outcome).toBe(rebalancing)
      expect(seen).toEqual([false, false, true])
    } finally {
      vi.useRealTimers()
    }
  })

  it('does not heartbeat for quick work and ignores failures that are not group changes', async () => {
    const heartbeat = vi.fn<() => Promise<void>>().mockRejectedValue(new Error('connection reset'))
    expect(await whileHeartbeating(heartbeat, 1000, () => Promise.resolve(), logger)).toBeUndefined()
    expect(heartbeat).not.toHaveBeenCalled()
    expect(isGroupChange(new Error('connection reset'))).toBe(false)
    expect(isGroupChange(Object.assign(new Error('gone'), { type: 'UNKNOWN_MEMBER_ID' }))).toBe(true)
  })
})
