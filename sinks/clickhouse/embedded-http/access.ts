// Who may do what on the embedded interface, in ClickHouse's own terms. chDB runs every query as its
// one session user, `default`, and cannot switch users (EXECUTE AS needs a server setting clickhouse-
// local never applies), so the users of infra/clickhouse/users.d/pulse.xml become ROLES of `default`
// carrying exactly their grants: the pipeline's own sessions keep every role (their default roles),
// and each HTTP request's session runs `SET ROLE <its user's role>`, so ClickHouse checks the grants
// (no SOURCES: file(), url(), remote(), s3(), mysql()…; no SYSTEM; no DROP) for real.
//
// libchdb reads its configuration once per process, from the first connection, so openEmbeddedAccess
// must run before anything else opens the data directory (the sink included).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Session } from 'chdb'
import { loadChdb } from '../chdb-loader.ts'
import { pulseUsers, readUsersFile, type ClickHouseUser } from '../../../infra/clickhouse/users.ts'

/** The role of the pipeline itself: what `default` could do before roles existed. */
export const PIPELINE_ROLE = 'pulse_pipeline'
/** Requests without credentials (or as `default` with no password) act as the analysts do. */
export const ANONYMOUS_ROLE = 'pulse_analyst'

export interface RoleLimits {
  /** The profile's readonly level: 0 may write, 2 reads and may change settings (as on the server). */
  readonly: number
  maxExecutionTime: number | undefined
  maxMemoryUsage: number | undefined
}

/** The engine's own user (the pipeline, and every request under access 'unrestricted'): no caps. */
export const NO_LIMITS: RoleLimits = { readonly: 0, maxExecutionTime: undefined, maxMemoryUsage: undefined }

export interface HttpUser {
  name: string
  /** Environment variable holding the password; unset means nobody logs in as this user. */
  passwordEnv: string | undefined
  role: string
  limits: RoleLimits
}

export interface EmbeddedAccess {
  users: HttpUser[]
  close(): void
}

/** The HTTP users: pulse.xml's, each with its profile's readonly level and limits. */
export function httpUsers(xml = readUsersFile()): HttpUser[] {
  return pulseUsers(xml).map((user) => ({ name: user.name, passwordEnv: user.passwordEnv, role: user.name, limits: profileLimits(xml, user.profile) }))
}

/** The ceiling no interface query may raise its limits past: the analysts' (the engine's constraints). */
export function interfaceLimits(users: readonly HttpUser[]): RoleLimits {
  const analyst = users.find((user) => user.role === ANONYMOUS_ROLE)
  if (analyst === undefined) throw new Error(`the users file has no ${ANONYMOUS_ROLE} user`)
  return analyst.limits
}

export function openEmbeddedAccess(dataDir: string): EmbeddedAccess {
  const xml = readUsersFile()
  const users = httpUsers(xml)
  const configDir = mkdtempSync(join(tmpdir(), 'pulse-embedded-access-'))
  writeFileSync(join(configDir, 'users.xml'), usersXml(pulseUsers(xml), interfaceLimits(users)))
  // executable() needs no SOURCES grant, only a script in user_scripts_path (by default inside the
  // data directory): point it at an empty directory so no request can run a program.
  mkdirSync(join(configDir, 'no-user-scripts'))
  writeFileSync(join(configDir, 'config.xml'), `<clickhouse><user_scripts_path>${join(configDir, 'no-user-scripts')}/</user_scripts_path><user_directories><users_xml><path>${join(configDir, 'users.xml')}</path></users_xml></user_directories></clickhouse>\n`)
  let session: Session
  try {
    session = new (loadChdb('chdb').Session)(resolve(dataDir), { connectionArgs: [`--config-file=${join(configDir, 'config.xml')}`] })
  } catch (error) {
    rmSync(configDir, { recursive: true, force: true })
    throw error
  }
  // The files hold no secret; they stay while the engine may re-read them.
  return {
    users,
    close: () => {
      session.close()
      rmSync(configDir, { recursive: true, force: true })
    },
  }
}

/**
 * `default` holds every role, so the pipeline's sessions act as before. The constraints cap what a
 * request may raise with SETTINGS (the pipeline never sets these two); `min` keeps 0 ("no limit") out.
 */
export function usersXml(users: readonly ClickHouseUser[], limits: RoleLimits): string {
  const roles = [PIPELINE_ROLE, ...users.map((user) => user.name)]
  const role = (name: string, grants: readonly string[]): string => `<${name}><grants>${grants.map((grant) => `<query>${grant}</query>`).join('')}</grants></${name}>`
  const constraint = (name: string, max: number | undefined): string => (max === undefined ? '' : `<${name}><min>1</min><max>${max}</max></${name}>`)
  return [
    '<clickhouse>',
    `<profiles><default><constraints>${constraint('max_execution_time', limits.maxExecutionTime)}${constraint('max_memory_usage', limits.maxMemoryUsage)}</constraints></default></profiles>`,
    '<quotas><default/></quotas>',
    `<roles>${role(PIPELINE_ROLE, ['GRANT ALL ON *.*'])}${users.map((user) => role(user.name, user.grants)).join('')}</roles>`,
    `<users><default><password></password><profile>default</profile><quota>default</quota><grants><query>GRANT ${roles.join(', ')}</query></grants></default></users>`,
    '</clickhouse>',
    '',
  ].join('\n')
}

function profileLimits(xml: string, profile: string | undefined): RoleLimits {
  const body = profile === undefined ? '' : (new RegExp(`<profiles>[\\s\\S]*?<${profile}>([\\s\\S]*?)</${profile}>`).exec(xml.replace(/<!--[\s\S]*?-->/g, ''))?.[1] ?? '')
  const own = body.replace(/<constraints>[\s\S]*?<\/constraints>/, '')
  const value = (name: string): number | undefined => {
    const found = new RegExp(`<${name}>(\\d+)</${name}>`).exec(own)?.[1]
    return found === undefined ? undefined : Number(found)
  }
  return { readonly: value('readonly') ?? 0, maxExecutionTime: value('max_execution_time'), maxMemoryUsage: value('max_memory_usage') }
}
