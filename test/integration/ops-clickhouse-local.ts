// Opens this process's ClickHouse engine (chDB, ClickHouse 26.x in-process) with Pulse's users file
// loaded the way the compose server loads it (a users.d file merged into users.xml), and one of its
// users standing in as the engine's session user, so every query of this process runs with exactly
// that user's grants and profile. ClickHouse checks the grants for real: a query the user may not run
// fails with ACCESS_DENIED, as it would on the server.
//
// libchdb reads its configuration once per process, from the first connection; the clients opened
// afterwards on the same data directory (connectClickHouse) share that engine. So this must be the
// process's first chDB connection: integration files run in processes of their own.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from 'chdb'
import { pulseUser, pulseUsers, readUsersFile } from '../../infra/clickhouse/users.ts'
import { connectClickHouse, type ClickHouse } from '../../sinks/clickhouse/connection.ts'

export interface LocalClickHouse {
  clickhouse: ClickHouse
  close(): Promise<void>
}

/** Development passwords, as docker-compose.yml defaults them; from_env needs every variable set. */
const PASSWORDS: Record<string, string> = {
  PULSE_CLICKHOUSE_WRITER_PASSWORD: 'pulse-writer-dev',
  PULSE_CLICKHOUSE_ANALYST_PASSWORD: 'pulse-analyst-dev',
}

export function openClickHouseAs(user: 'pulse_writer' | 'pulse_analyst', dataDir: string): LocalClickHouse {
  for (const { passwordEnv } of pulseUsers()) {
    if (passwordEnv !== undefined) process.env[passwordEnv] ??= PASSWORDS[passwordEnv] ?? 'test-password'
  }
  const configDir = mkdtempSync(join(tmpdir(), 'pulse-ch-users-'))
  mkdirSync(join(configDir, 'users.d'))
  // The shipped file with the chosen user renamed to `default`, the engine's session user, which
  // logs in without a password (its grants, profile and networks are kept as written). Comments go
  // first so the user's element is found exactly as pulseUser() read it.
  const shipped = readUsersFile().replace(/<!--[\s\S]*?-->/g, '')
  const element = pulseUser(user, shipped).xml
  if (!shipped.includes(element)) throw new Error(`cannot find the ${user} element in the users file`)
  const asDefault = shipped.replace(
    element,
    element
      .replace(new RegExp(`^<${user}>`), '<default>')
      .replace(new RegExp(`</${user}>$`), '</default>')
      .replace(/<password\s+from_env="[^"]*"\s*\/>/, '<password></password>'),
  )
  writeFileSync(join(configDir, 'users.d', 'pulse.xml'), asDefault)
  writeFileSync(join(configDir, 'users.xml'), '<clickhouse><profiles><default/></profiles><quotas><default/></quotas><users></users></clickhouse>\n')
  writeFileSync(
    join(configDir, 'config.xml'),
    `<clickhouse><user_directories><users_xml><path>${join(configDir, 'users.xml')}</path></users_xml></user_directories></clickhouse>\n`,
  )
  mkdirSync(dataDir, { recursive: true })
  let session: Session
  try {
    session = new Session(dataDir, { connectionArgs: [`--config-file=${join(configDir, 'config.xml')}`] })
  } catch (error) {
    // ClickHouse refused the configuration (its reason is on stderr); keep no files behind.
    rmSync(configDir, { recursive: true, force: true })
    throw error
  }
  const clickhouse = connectClickHouse({ dataDir, username: 'default', password: '' })
  return {
    clickhouse,
    close: async () => {
      await clickhouse.close()
      session.close()
      rmSync(configDir, { recursive: true, force: true })
    },
  }
}

/** How ClickHouse words a refusal for want of a grant or in read-only mode (the client keeps the text, not always the code). */
export const REFUSED = /ACCESS_DENIED|Not enough privileges|READONLY|in readonly mode/

/** The error ClickHouse answered a statement with, or undefined if it ran. */
export async function refusal(clickhouse: ClickHouse, query: string): Promise<string | undefined> {
  try {
    await clickhouse.client.command({ query })
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}
