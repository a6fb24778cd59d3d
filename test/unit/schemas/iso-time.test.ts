// The strict ISO-8601 reading of JSON timestamps: Date.parse alone would take several of the refused ones.

import { describe, expect, it } from 'vitest'
import { parseIsoMillis } from '../../../schemas/json-input.ts'

describe('parseIsoMillis', () => {
  it.each([
    ['2023-11-14T22:13:20Z', 1_700_000_000_000],
    ['2023-11-14t22:13:20z', 1_700_000_000_000],
    ['2023-11-14 22:13:20Z', 1_700_000_000_000],
    ['2023-11-14T22:13Z', 1_699_999_980_000],
    ['2023-11-14T22:13:20.1Z', 1_700_000_000_100],
    ['2023-11-14T22:13:20.123999999Z', 1_700_000_000_123],
    ['2023-11-15T03:43:20+05:30', 1_700_000_000_000],
    ['2023-11-14T14:13:20-0800', 1_700_000_000_000],
    ['2023-11-14T23:13:20+01', 1_700_000_000_000],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['1969-12-31T23:59:59.999Z', -1],
  ])('reads %s', (text, millis) => {
    expect(parseIsoMillis(text)).toBe(millis)
  })

  it.each([
    '2023-11-14T22:13:20', // no zone: Date.parse would use the host's local time
    '2023-11-14',
    '2023-02-29T00:00:00Z', // Date.parse rolls this over to March 1st
    '2023-04-31T00:00:00Z',
    '2023-13-01T00:00:00Z',
    '2023-11-14T24:00:00Z', // Date.parse reads this as the next midnight
    '2023-11-14T22:60:00Z',
    '2023-11-14T22:13:60Z',
    '2023-11-14T22:13:20+24:00',
    '0099-01-01T00:00:00Z',
    'Tue, 14 Nov 2023 22:13:20 GMT',
    '1700000000000',
    ' 2023-11-14T22:13:20Z',
  ])('refuses %s', (text) => {
    expect(parseIsoMillis(text)).toBeUndefined()
  })
})
