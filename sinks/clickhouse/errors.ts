// What a failed insert means for the sink: retry it (transport or server trouble) or give up on the
// rows (the data itself is bad). Codes from ClickHouse's ErrorCodes.cpp; vector's ClickHouse sink
// draws the same line (53 TYPE_MISMATCH and 117 INCORRECT_DATA are never retried).
import { isRetriable, PulseError } from '../../runtime/errors.ts'

const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  // A RowBinary body whose bytes do not frame as rows reads short; the halving re-sends each half, so
  // even a body cut in transit would only cost one split, never rows.
  33, // CANNOT_READ_ALL_DATA
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
])

const CONFIG_ERROR_CODES = new Set([
  16, // NO_SUCH_COLUMN_IN_TABLE
  47, // UNKNOWN_IDENTIFIER
  60, // UNKNOWN_TABLE
  81, // UNKNOWN_DATABASE
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  497, // ACCESS_DENIED
  516, // AUTHENTICATION_FAILED
])

export type InsertFailure = 'bad_data' | 'misconfigured' | 'transient' | 'fatal'

/**
 * A value its column cannot hold exactly (1.5 or 300 for a UInt8, NaN for an integer), refused while
 * the insert body is encoded, for every format alike: the server would wrap or round some of them
 * silently. Bad data, so the sink isolates the row and dead-letters it like a row the server refused.
 */
export class RowEncodingError extends PulseError {
  constructor(column: string, type: string, value: unknown) {
    super(`Cannot write ${describe(value)} to column ${column} of type ${type}`, { retriable: false })
  }
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number') return String(value)
  return typeof value
}

export function classifyInsertError(error: unknown): InsertFailure {
  if (error instanceof RowEncodingError) return 'bad_data'
  // Pulse's own errors say for themselves whether trying again can help.
  if (error instanceof PulseError && !error.retriable) return 'fatal'
  const code = clickHouseCode(error)
  if (code !== undefined && DATA_ERROR_CODES.has(code)) return 'bad_data'
  if (code !== undefined && CONFIG_ERROR_CODES.has(code)) return 'misconfigured'
  // Everything else (timeouts, too many parts, memory, a server restarting, refused connections)
  // can succeed later, and with deduplication tokens a repeated insert is harmless.
  return 'transient'
}

export function clickHouseCode(error: unknown): number | undefined {
  // Read by shape, not instanceof: the HTTP client raises the ClickHouseError that @clickhouse/client
  // bundles, the embedded engine's adapter the one of its own @clickhouse/client-common; two classes
  // of one name and shape.
  if (error instanceof Error && error.constructor.name === 'ClickHouseError') {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code)
  }
  // chDB's own raw insert raises ChdbInsertError, carrying the engine's code as a number.
  const chdbCode = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode
  if (typeof chdbCode === 'number' && Number.isInteger(chdbCode)) return chdbCode
  const message = error instanceof Error ? error.message : ''
  const match = /Code: (\d+)\./.exec(message)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

/** A short label for the retries metric. */
export function retryCause(error: unknown): string {
  const code = clickHouseCode(error)
  if (code !== undefined) return `clickhouse_${code}`
  const errno = (error as { code?: unknown } | null)?.code
  if (typeof errno === 'string' && isRetriable(error)) return errno.toLowerCase()
  if (error instanceof Error && /timeout/i.test(error.message)) return 'timeout'
  return 'other'
}
