// Rebuilds the ownership history from the ip_assignments table at start-up, and keeps reading what
// other processors write to it: the sink of the assignment stream doubles as its state store, so a
// restart attributes old flows correctly and, when a consumer group splits the assignment partitions
// among several processors, each still learns every change (within the enrichment hold-back).
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

export interface OwnershipLoad {
  applied: number
  /** Highest ingest_time read (epoch ms), to ask only for newer rows next time. */
  newestIngestMs: number
}

/** Applies the changes ingested at or after `sinceIngestMs`; changes the index already has are skipped. */
export async function loadOwnership(client: ClickHouseClient, database: string, index: IpOwnershipIndex, sinceIngestMs = 0): Promise<OwnershipLoad> {
  const result = await client.query({
    query: `SELECT change_id, cidr, action, app, cluster, region, toUnixTimestamp64Milli(effective_time) AS effective_ms,
                   toUnixTimestamp64Milli(ingest_time) AS ingest_ms
            FROM ${database}.ip_assignments
            WHERE ingest_time >= fromUnixTimestamp64Milli({since:Int64})
            ORDER BY effective_time`,
    query_params: { since: sinceIngestMs },
    format: 'JSONEachRow',
  })
  const load: OwnershipLoad = { applied: 0, newestIngestMs: sinceIngestMs }
  for (const row of await result.json<AssignmentRow & { ingest_ms: string }>()) {
    const { effective_ms: effectiveMs, ingest_ms: ingestMs, ...rest } = row
    if (index.apply({ ...rest, effective_time: Number(effectiveMs) }) === 'applied') load.applied++
    load.newestIngestMs = Math.max(load.newestIngestMs, Number(ingestMs))
  }
  return load
}
