// ClickHouse's errors as its HTTP interface answers them: the "Code: N. DB::Exception: …" body, the
// X-ClickHouse-Exception-Code header, and the HTTP status ClickHouse itself picks for each code
// (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp; the numbers are the engine's own, read with
// errorCodeToName()). A client that retries on 5xx and gives up on 4xx then behaves as with a server.

export const CODES = {
  SYNTAX_ERROR: 62,
  UNKNOWN_SETTING: 115,
  READONLY: 164,
  REQUIRED_PASSWORD: 194,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  NOT_IMPLEMENTED: 48,
  UNKNOWN_COMPRESSION_METHOD: 89,
  INTO_OUTFILE_NOT_ALLOWED: 358,
  QUERY_IS_TOO_LARGE: 229,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  UNKNOWN_EXCEPTION: 1000,
} as const

const STATUS_BY_CODE = new Map<number, number>([
  [194, 401],
  ...[192, 193, 516, 512, 497].map((code) => [code, 403] as [number, number]),
  ...[36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167, 168, 223, 62, 117, 53, 321].map((code) => [code, 400] as [number, number]),
  ...[60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511].map((code) => [code, 404] as [number, number]),
  [229, 413],
  [48, 501],
  [209, 503],
  [76, 503],
  [381, 411],
  [159, 408],
  [439, 503],
  [779, 415],
])

export function httpStatusOf(code: number): number {
  return STATUS_BY_CODE.get(code) ?? 500
}

/** An error to answer with ClickHouse's code and wording. */
export class ClickHouseHttpError extends Error {
  readonly code: number
  constructor(code: number, message: string) {
    super(message)
    this.name = 'ClickHouseHttpError'
    this.code = code
  }
}

/**
 * Any error from the engine or from this interface, as ClickHouse's code and bare message. chDB's
 * errors carry the code (`clickhouseCode`) on queries but only in the text on streams, and the text
 * sometimes repeats the "Code: N. DB::Exception:" prefix.
 */
export function asClickHouseError(error: unknown): ClickHouseHttpError {
  if (error instanceof ClickHouseHttpError) return error
  const text = error instanceof Error ? error.message : String(error)
  const given = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode
  const code = typeof given === 'number' ? given : Number(/Code: (\d+)\./.exec(text)?.[1] ?? CODES.UNKNOWN_EXCEPTION)
  return new ClickHouseHttpError(code, text.replace(/^(?:Code: \d+\. DB::Exception: )+/, '').trim())
}

export function errorBody(error: ClickHouseHttpError): string {
  return `Code: ${error.code}. DB::Exception: ${error.message}\n`
}
