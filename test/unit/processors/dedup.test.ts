// The duplicate check: ids repeated within the horizon are dropped, others pass, and ids older than
// the horizon are forgotten, whether the id is a UUID (kept as its 128 bits) or any other text.
import { describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { DedupWindow } from '../../../processors/event-time/dedup.ts'
import { parseUuid } from '../../../processors/event-time/uuid-times.ts'

const MINUTE = 60_000

describe('parseUuid', () => {
  it('reads the 128 bits of a canonical UUID', () => {
    const words = new Uint32Array(4)
    expect(parseUuid('0123abcd-4567-89ef-fedc-ba9876543210', words)).toBe(true)
    expect([...words]).toEqual([0x0123abcd, 0x456789ef, 0xfedcba98, 0x76543210])
  })

  it('refuses upper case, missing hyphens, other lengths and other characters', () => {
    const words = new Uint32Array(4)
    for (const text of ['0123ABCD-4567-89ef-fedc-ba9876543210', '0123abcd4567-89ef-fedc-ba9876543210x', '0123abcd-4567-89ef-fedc-ba987654321', 'g123abcd-4567-89ef-fedc-ba9876543210', 'retry-42']) {
      expect(parseUuid(text, words)).toBe(false)
    }
  })
})

describe('DedupWindow', () => {
  it('drops an id seen again within the horizon and passes every distinct id, past any table growth', () => {
    const window = new DedupWindow(10 * MINUTE)
    const ids = Array.from({ length: 5000 }, () => randomUUID())
    const t0 = 1_700_000_000_000
    expect(ids.filter((id, i) => window.isDuplicate(id, t0 + i, t0 + i))).toEqual([])
    expect(ids.filter((id, i) => window.isDuplicate(id, t0 + i + 1000, t0 + 5000))).toEqual(ids)
    expect(window.size).toBe(5000)
  })

  it('tells apart UUIDs that differ in one bit anywhere, as time-based UUIDs sharing a prefix and node do', () => {
    const window = new DedupWindow(10 * MINUTE)
    const base = '1ef0c2a4-9b3d-11ee-8c90-0242ac120002'
    const variants = [...Array(32).keys()].map((i) => `1ef0c2a${(i % 16).toString(16)}-9b3d-11ee-8c90-0242ac12000${i < 16 ? '2' : '3'}`)
    const t = 1_700_000_000_000
    expect(window.isDuplicate(base, t, t)).toBe(false)
    const distinct = variants.filter((id) => id !== base)
    expect(distinct.filter((id) => window.isDuplicate(id, t, t))).toEqual([])
    expect(window.isDuplicate(base, t, t)).toBe(true)
  })

  it('keeps ids that are not canonical UUIDs exactly as given (case matters)', () => {
    const window = new DedupWindow(10 * MINUTE)
    const t = 1_700_000_000_000
    expect(window.isDuplicate('ABCDEF01-0000-0000-0000-000000000000', t, t)).toBe(false)
    expect(window.isDuplicate('abcdef01-0000-0000-0000-000000000000', t, t)).toBe(false)
    expect(window.isDuplicate('retry-42', t, t)).toBe(false)
    expect(window.isDuplicate('retry-42', t + 1, t + 1)).toBe(true)
    expect(window.isDuplicate('ABCDEF01-0000-0000-0000-000000000000', t + 2, t + 2)).toBe(true)
  })

  it('does not call a repeat a duplicate when its event time is more than the horizon away', () => {
    const window = new DedupWindow(10 * MINUTE)
    const id = randomUUID()
    const t = 1_700_000_000_000
    expect(window.isDuplicate(id, t, t)).toBe(false)
    expect(window.isDuplicate(id, t + 11 * MINUTE, t)).toBe(false)
  })

  it('forgets ids once the highest event time has moved past them by the horizon', () => {
    const window = new DedupWindow(10 * MINUTE)
    const t = 1_700_000_000_000
    for (let i = 0; i < 3000; i++) window.isDuplicate(randomUUID(), t, t)
    window.isDuplicate('not-a-uuid', t, t)
    expect(window.size).toBe(3001)
    const later = t + 10 * MINUTE + 1
    window.isDuplicate(randomUUID(), later, later)
    expect(window.size).toBe(1)
  })

  it('holds at most a horizon and a half of ids under steady traffic, and never less than the horizon', () => {
    const window = new DedupWindow(10 * MINUTE)
    const t = 1_700_000_000_000
    let most = 0
    for (let second = 0; second < 60 * 60; second++) {
      const now = t + second * 1000
      window.isDuplicate(randomUUID(), now, now)
      most = Math.max(most, window.size)
      if (second >= 600) expect(window.size).toBeGreaterThanOrEqual(600)
    }
    expect(most).toBeLessThanOrEqual(901)
  })
})
