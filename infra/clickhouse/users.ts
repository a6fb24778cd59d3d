// Reads Pulse's ClickHouse users file (users.d/pulse.xml) for the checks: who the users are, which
// environment variable holds each one's password, their profile and their GRANT statements. The file
// is ours and regular, so a few patterns read it; the real proof that ClickHouse accepts it is
// test/integration/ops-clickhouse-users.test.ts, which loads it into a ClickHouse engine.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const USERS_FILE = fileURLToPath(new URL('./users.d/pulse.xml', import.meta.url))

export interface ClickHouseUser {
  name: string
  passwordEnv: string | undefined
  profile: string | undefined
  grants: string[]
  /** The user's element as written, for tests that load it under another name. */
  xml: string
}

export function readUsersFile(path = USERS_FILE): string {
  return readFileSync(path, 'utf8')
}

export function pulseUsers(xml = readUsersFile()): ClickHouseUser[] {
  const withoutComments = xml.replace(/<!--[\s\S]*?-->/g, '')
  const users = /<users>([\s\S]*?)<\/users>/.exec(withoutComments)?.[1] ?? ''
  return [...users.matchAll(/<([A-Za-z_][\w]*)>([\s\S]*?)<\/\1>/g)].map((match) => {
    const [xmlOfUser, name = '', body = ''] = match
    return {
      name,
      passwordEnv: /<password\s+from_env="([^"]+)"\s*\/>/.exec(body)?.[1],
      profile: /<profile>([^<]+)<\/profile>/.exec(body)?.[1],
      grants: [...body.matchAll(/<query>([^<]+)<\/query>/g)].map((grant) => (grant[1] ?? '').trim()),
      xml: xmlOfUser,
    }
  })
}

export function pulseUser(name: string, xml = readUsersFile()): ClickHouseUser {
  const user = pulseUsers(xml).find((candidate) => candidate.name === name)
  if (user === undefined) throw new Error(`no user ${name} in ${USERS_FILE}`)
  return user
}

/**
 * What a user may do, from its GRANT statements: privilege → the objects it is granted on
 * (`pulse.*` or `pulse.table`). Enough for the grant shapes this file uses.
 */
export function grantedPrivileges(user: ClickHouseUser): Map<string, string[]> {
  const granted = new Map<string, string[]>()
  for (const grant of user.grants) {
    const match = /^GRANT\s+(.+?)\s+ON\s+(\S+)$/i.exec(grant)
    if (match === null) throw new Error(`unexpected grant shape for ${user.name}: ${grant}`)
    const [, privileges = '', target = ''] = match
    for (const privilege of privileges.split(',').map((item) => item.trim().toUpperCase())) {
      granted.set(privilege, [...(granted.get(privilege) ?? []), target])
    }
  }
  return granted
}

/** Whether the user holds `privilege` on `database.table` (directly or through `database.*`). */
export function mayDo(user: ClickHouseUser, privilege: string, database: string, table: string): boolean {
  const targets = grantedPrivileges(user).get(privilege.toUpperCase()) ?? []
  return targets.includes(`${database}.*`) || targets.includes(`${database}.${table}`)
}
