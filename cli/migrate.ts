// `pulse migrate`: applies the numbered migrations to the configured ClickHouse and says what it did.
import { connectClickHouse } from '../sinks/clickhouse/connection.ts'
import { migrate } from '../sinks/clickhouse/migrate.ts'
import type { Runtime } from './roles.ts'

export async function runMigrate(runtime: Runtime, out: NodeJS.WritableStream): Promise<number> {
  const { config } = runtime
  const clickhouse = connectClickHouse(config.clickhouse)
  try {
    const report = await migrate(clickhouse.client, config.clickhouse.database, undefined, { cluster: clickhouse.cluster })
    out.write(`${clickhouse.location}: applied ${report.applied.length} migration(s)${report.applied.length > 0 ? `: ${report.applied.join(', ')}` : ''}; ${report.alreadyApplied.length} already applied\n`)
    return 0
  } finally {
    await clickhouse.close()
  }
}
