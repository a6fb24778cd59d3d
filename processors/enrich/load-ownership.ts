// Rebuilds the ownership history from the ip_assignments table at start-up: the sink of the
// assignment stream doubles as its state store, so a restart attributes old flows correctly.
import type { ClickHouseClient } from '@clickhouse/client'
import type { IpOwnershipIndex } from './ip-ownership.ts'
import type { AssignmentAction } from '../../schemas/types.ts'

interface AssignmentRow {
  change_id: string
  cidr: string
  action: AssignmentAction
  app: string
  cluster: string
  region: string
  effective_ms: string
}

export async function loadOwnership(client: ClickHouseClient, database: string, index: IpOwnershipIndex): Promise<number> {
  const result = await client.query({
    query: `SELECT change_id, cidr, action, app, cluster, region, toUnixTimestamp64Milli(effective_time) AS effective_ms
            FROM ${database}.ip_assignments ORDER BY effective_time`,
    format: 'JSONEachRow',
  })
  let applied = 0
  for (const row of await result.json<AssignmentRow>()) {
    const { effective_ms: effectiveMs, ...rest } = row
    if (index.apply({ ...rest, effective_time: Number(effectiveMs) })) applied++
  }
  return applied
}
