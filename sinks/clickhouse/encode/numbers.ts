// The checks every format makes before writing a number: an integer column takes only integers in
// its range, so no format lets the server wrap 300 into a UInt8 or cut 1.5 to 1. A DateTime column
// takes a Date or a number of its own ticks (seconds for DateTime, 10^-p s for DateTime64(p)).
import { RowEncodingError } from '../errors.ts'

export interface IntRange {
  min: number
  max: number
  minBig: bigint
  maxBig: bigint
}

export function intRange(bytes: 1 | 2 | 4 | 8, signed: boolean): IntRange {
  const bits = BigInt(bytes * 8)
  const minBig = signed ? -(1n << (bits - 1n)) : 0n
  const maxBig = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n
  // As doubles the 64-bit bounds round up to 2^63 / 2^64, so the number check is `< max + 1`.
  return { min: Number(minBig), max: Number(maxBig), minBig, maxBig }
}

/** True for an integer number the range holds exactly (a double beyond 2^53 is exact as itself). */
export function numberFits(value: number, range: IntRange): boolean {
  if (!Number.isInteger(value) || value < range.min) return false
  return range.max >= 2 ** 53 ? value < range.max + 1 : value <= range.max
}

export function bigintFits(value: bigint, range: IntRange): boolean {
  return value >= range.minBig && value <= range.maxBig
}

/** The column's ticks for a Date: DateTime64(p) holds 10^-p seconds, DateTime whole seconds. */
export function ticksOfDate(date: Date, precision: number, column: string, type: string): number {
  const ms = date.getTime()
  if (Number.isNaN(ms)) throw new RowEncodingError(column, type, date)
  return precision >= 3 ? ms * 10 ** (precision - 3) : Math.floor(ms / 10 ** (3 - precision))
}

export function refuse(column: string, type: string, value: unknown): never {
  throw new RowEncodingError(column, type, value)
}
