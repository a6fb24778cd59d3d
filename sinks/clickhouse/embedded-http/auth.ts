// Who a request is, the ways ClickHouse's HTTP interface accepts credentials: the X-ClickHouse-User /
// X-ClickHouse-Key headers, HTTP Basic, or `user` / `password` in the URL. No credentials, or
// `default` with an empty password, is the anonymous analyst. Passwords come from the environment
// variables pulse.xml names (as the compose server reads them); a user whose variable is unset cannot
// log in. Secrets are compared in constant time and never logged.
import { timingSafeEqual, createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { ANONYMOUS_ROLE, type HttpUser, type RoleLimits } from './access.ts'
import { ClickHouseHttpError, CODES } from './errors.ts'

export interface Principal {
  user: string
  role: string
  limits: RoleLimits
}

interface Credentials {
  user: string
  password: string
}

export function authenticate(users: readonly HttpUser[], headers: IncomingHttpHeaders, url: URL, env: NodeJS.ProcessEnv = process.env): Principal {
  const given = credentials(headers, url)
  const anonymous = users.find((user) => user.role === ANONYMOUS_ROLE)
  if ((given === undefined || (given.user === 'default' && given.password === '')) && anonymous !== undefined) {
    return { user: 'default', role: anonymous.role, limits: anonymous.limits }
  }
  const name = given?.user ?? 'default'
  const user = users.find((candidate) => candidate.name === name)
  const expected = user?.passwordEnv === undefined ? undefined : env[user.passwordEnv]
  if (user === undefined || expected === undefined || expected === '' || !sameSecret(expected, given?.password ?? '')) {
    throw new ClickHouseHttpError(CODES.AUTHENTICATION_FAILED, `${name}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`)
  }
  return { user: user.name, role: user.role, limits: user.limits }
}

function credentials(headers: IncomingHttpHeaders, url: URL): Credentials | undefined {
  const headerUser = single(headers['x-clickhouse-user'])
  const basic = single(headers.authorization)
  const urlUser = url.searchParams.get('user')
  const ways = [headerUser, basic, urlUser].filter((way) => way !== undefined && way !== null).length
  if (ways > 1) throw new ClickHouseHttpError(CODES.AUTHENTICATION_FAILED, 'Invalid authentication: use only one of the X-ClickHouse-User header, the Authorization header and the user parameter. (AUTHENTICATION_FAILED)')
  if (headerUser !== undefined) return { user: headerUser, password: single(headers['x-clickhouse-key']) ?? '' }
  if (basic !== undefined) return fromBasic(basic)
  if (urlUser !== null) return { user: urlUser, password: url.searchParams.get('password') ?? '' }
  return undefined
}

function fromBasic(header: string): Credentials {
  const match = /^Basic\s+(\S+)$/i.exec(header)
  if (match === null) throw new ClickHouseHttpError(CODES.AUTHENTICATION_FAILED, 'Invalid Authorization header: only Basic authentication is supported. (AUTHENTICATION_FAILED)')
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? { user: decoded, password: '' } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** Hashing first makes the comparison constant-time whatever the lengths. */
function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(expected), digest(given))
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
