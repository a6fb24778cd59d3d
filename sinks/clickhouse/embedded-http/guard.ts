// Refuses what a web page in the user's browser could send: a request with a foreign Origin (a
// cross-origin POST runs without any CORS preflight when it is text/plain, so CSRF needs no more than
// that), and a Host that is not this machine's loopback (DNS rebinding turns a page's own origin into
// 127.0.0.1). Origins allowed by the http.queryAllowedOrigins setting pass, for a trusted dashboard.
import type { IncomingHttpHeaders } from 'node:http'
import { ClickHouseHttpError, CODES } from './errors.ts'

const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/i

export function checkBrowserGuards(headers: IncomingHttpHeaders, allowedOrigins: readonly string[]): void {
  const origin = headers.origin
  const allowedHosts = allowedOrigins.map((allowed) => hostOf(allowed))
  if (origin !== undefined && !allowedOrigins.includes(origin)) {
    throw new ClickHouseHttpError(CODES.ACCESS_DENIED, `Requests from origin ${JSON.stringify(origin)} are refused: a web page must not reach the embedded ClickHouse. Allow a trusted origin with --query-allowed-origins. (ACCESS_DENIED)`)
  }
  const host = headers.host ?? ''
  if (!LOOPBACK_HOST.test(host) && !allowedHosts.includes(host)) {
    throw new ClickHouseHttpError(CODES.ACCESS_DENIED, `Host ${JSON.stringify(host)} is refused: the embedded ClickHouse answers only to 127.0.0.1 and localhost. (ACCESS_DENIED)`)
  }
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host
  } catch {
    return ''
  }
}
