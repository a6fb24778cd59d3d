// The harness's second judgement: counting ids proves no raw row was lost or repeated, but a replay
// after a kill could still fold an event twice into a minute's sums or restore a session wrong. So
// the drained aggregates and sessions are compared with the independent oracle's reading of the same
// produced records (test/helpers/oracle.ts, the one the event-time correctness suite trusts).
import type { ClickHouseClient } from '@clickhouse/client'
import { expectClientTables, expectFlowsPerMinute, type ClientExpectation, type FlowSums, type OracleSettings } from '../test/helpers/oracle.ts'
import { compareWithOracle, type TableDifferences } from '../test/helpers/oracle-tables.ts'
import { clientTraffic, flowTraffic, type WorkloadSpec } from './workload.ts'

export interface ChaosExpectation {
  client: ClientExpectation
  flowsPerMinute: Map<string, FlowSums>
  /** Seconds the oracle took, for the log. */
  seconds: number
}

/** Pulse's defaults for what the oracle models; the harness's processors run with them. */
export const CHAOS_ORACLE_SETTINGS: OracleSettings = { windowMs: 60_000, careRebufferRatio: 0.05 }

/** The oracle over the records `produceWorkload` sends for `spec`, in the order it sends them. */
export function expectChaosTables(spec: WorkloadSpec, settings: OracleSettings = CHAOS_ORACLE_SETTINGS): ChaosExpectation {
  const started = performance.now()
  const clients = clientTraffic(spec)
  const events = Array.from({ length: spec.events }, () => clients.next().record)
  const fleet = flowTraffic(spec)
  const flows = []
  while (flows.length < spec.flows) {
    const item = fleet.next()
    if (item.kind === 'network_flow') flows.push(item.record)
  }
  // The raw events are the harness's to count by id; the expectation keeps only the tables.
  const client = { ...expectClientTables(events, new Set(), settings), kept: [] }
  return { client, flowsPerMinute: expectFlowsPerMinute(flows, fleet.truth), seconds: (performance.now() - started) / 1000 }
}

export interface OracleVerdict {
  tables: TableDifferences[]
  /** One cell of the report: "9 tables equal" or which differ. */
  summary: string
}

export async function checkAgainstOracle(client: ClickHouseClient, database: string, expected: ChaosExpectation): Promise<OracleVerdict> {
  const tables = await compareWithOracle(client, database, expected.client, expected.flowsPerMinute)
  const differing = tables.filter((table) => table.differences.length > 0)
  const summary = differing.length === 0 ? `${tables.length} tables equal` : `${differing.length} of ${tables.length} differ (${differing.map((table) => table.table).join(', ')})`
  return { tables, summary }
}
