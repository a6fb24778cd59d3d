// What a failed insert means: bad data (dead-letter, never retry), misconfiguration (retry loudly)
// or a transient fault (retry), and the short cause label the retries metric uses.

import { ClickHouseError } from '@clickhouse/client'
import { describe, expect, it } from 'vitest'
import { classifyInsertError, clickHouseCode, retryCause } from '../../../sinks/clickhouse/errors.ts'

/** What the HTTP client raises: the server's message parsed into code and type. */
const serverError = (code: number, type: string): ClickHouseError => new ClickHouseError({ message: `${type}: something went wrong`, code: String(code), type })

/** chDB's adapter raises the ClickHouseError of @clickhouse/client-common, which @clickhouse/client
 *  bundles a copy of: the same shape under the same name, not the same class. */
class EmbeddedClickHouseError extends Error {
  readonly code: string
  readonly type: string | undefined
  constructor({ message, code, type }: { message: string; code: string; type?: string }) {
    super(message)
    this.code = code
    this.type = type
  }
}
Object.defineProperty(EmbeddedClickHouseError, 'name', { value: 'ClickHouseError' })

const adapterError = (code: number, type: string): Error => new EmbeddedClickHouseError({ message: `${type}: something went wrong`, code: String(code), type })

/** An error carrying only the server's text. */
const embeddedError = (code: number, text: string): Error => new Error(`Code: ${code}. DB::Exception: ${text}. (VERSION 24.8.1.1)`)

const networkError = (code: string, message: string): Error => Object.assign(new Error(message), { code })

describe('classifyInsertError', () => {
  it('bad_data for a type mismatch (53) or incorrect data (117), from either engine', () => {
    expect(classifyInsertError(embeddedError(53, "Type mismatch in IN or VALUES section. Expected: UInt16. Got: String: (TYPE_MISMATCH)"))).toBe('bad_data')
    expect(classifyInsertError(serverError(53, 'TYPE_MISMATCH'))).toBe('bad_data')
    expect(classifyInsertError(embeddedError(117, 'Cannot parse JSON object here: (INCORRECT_DATA)'))).toBe('bad_data')
    expect(classifyInsertError(serverError(27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'))).toBe('bad_data')
  })

  it("reads the code of the embedded engine's own ClickHouseError class (not the one @clickhouse/client exports)", () => {
    expect(adapterError(27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED')).not.toBeInstanceOf(ClickHouseError)
    expect(classifyInsertError(adapterError(27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'))).toBe('bad_data')
    expect(classifyInsertError(adapterError(60, 'UNKNOWN_TABLE'))).toBe('misconfigured')
    expect(retryCause(adapterError(252, 'TOO_MANY_PARTS'))).toBe('clickhouse_252')
  })

  it('misconfigured for an unknown table (60), database (81) or a refused user (516)', () => {
    expect(classifyInsertError(embeddedError(60, "Table pulse.client_events does not exist. (UNKNOWN_TABLE)"))).toBe('misconfigured')
    expect(classifyInsertError(serverError(60, 'UNKNOWN_TABLE'))).toBe('misconfigured')
    expect(classifyInsertError(serverError(81, 'UNKNOWN_DATABASE'))).toBe('misconfigured')
    expect(classifyInsertError(serverError(516, 'AUTHENTICATION_FAILED'))).toBe('misconfigured')
  })

  it('transient for refused or reset connections and timeouts', () => {
    expect(classifyInsertError(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8123'))).toBe('transient')
    expect(classifyInsertError(networkError('ECONNRESET', 'socket hang up'))).toBe('transient')
    expect(classifyInsertError(new Error('Timeout error.'))).toBe('transient')
  })

  it('transient for server codes that can pass: too many parts (252), memory limit (241)', () => {
    expect(classifyInsertError(serverError(252, 'TOO_MANY_PARTS'))).toBe('transient')
    expect(classifyInsertError(embeddedError(241, 'Memory limit (total) exceeded (MEMORY_LIMIT_EXCEEDED)'))).toBe('transient')
  })

  it('transient for things that are not errors at all', () => {
    expect(classifyInsertError('Code: 53. DB::Exception: but a string')).toBe('transient')
    expect(classifyInsertError(undefined)).toBe('transient')
    expect(classifyInsertError(null)).toBe('transient')
  })
})

describe('clickHouseCode', () => {
  it('reads the code from a ClickHouseError and from the message text', () => {
    expect(clickHouseCode(serverError(53, 'TYPE_MISMATCH'))).toBe(53)
    expect(clickHouseCode(embeddedError(1002, 'unknown'))).toBe(1002)
  })

  it('has none for other errors, even ones mentioning numbers', () => {
    expect(clickHouseCode(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8123'))).toBeUndefined()
    expect(clickHouseCode(new Error('exit code: 53'))).toBeUndefined()
  })
})

describe('retryCause', () => {
  it('labels ClickHouse errors by code', () => {
    expect(retryCause(serverError(252, 'TOO_MANY_PARTS'))).toBe('clickhouse_252')
    expect(retryCause(embeddedError(60, 'Table does not exist'))).toBe('clickhouse_60')
  })

  it('labels known network failures by their errno, lower-cased', () => {
    expect(retryCause(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8123'))).toBe('econnrefused')
    expect(retryCause(networkError('ETIMEDOUT', 'connect ETIMEDOUT'))).toBe('etimedout')
  })

  it('labels timeouts without a code as timeout', () => {
    expect(retryCause(new Error('Timeout error.'))).toBe('timeout')
  })

  it('keeps labels few: unknown errno values and anything else become other', () => {
    expect(retryCause(networkError('ERR_SOMETHING_NEW', 'new failure'))).toBe('other')
    expect(retryCause(new Error('boom'))).toBe('other')
    expect(retryCause('a string')).toBe('other')
    expect(retryCause(null)).toBe('other')
  })
})
