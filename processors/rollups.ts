// Per-minute partial sums of one sealed block's raw flow rows. They ride in the same block range (and
// so under the same deduplication scheme) as the raw rows they summarise, and SummingMergeTree adds
// the partials of every block and partition together. Flows keep no event-time state (README,
// "Lateness per record kind"), so their minute rows stay per block; client_events_1m is counted in
// the client partitions' windows instead (client-partition.ts), which write each minute's key once.
import type { Rollup, RollupSum, Row } from '../pipeline/rows.ts'

class FlowMinuteSums implements RollupSum {
  private readonly sums = new Map<string, Row>()

  add(row: Row): void {
    // NODATA and SKIPDATA carry no traffic; a custom format without log-status ('') is traffic.
    if (row.log_status === 'NODATA' || row.log_status === 'SKIPDATA') return
    const minute = Math.floor(Number(row.flow_start) / 60) * 60
    const dstPort = Number(row.dst_port ?? 0)
    const protocol = Number(row.protocol ?? 0)
    const key = `${minute}|${String(row.src_app)}|${String(row.dst_app)}|${dstPort}|${protocol}|${String(row.action)}`
    let sum = this.sums.get(key)
    if (sum === undefined) {
      sum = { minute, src_app: row.src_app, dst_app: row.dst_app, dst_port: dstPort, protocol, action: row.action, flows: 0, packets: 0, bytes: 0 }
      this.sums.set(key, sum)
    }
    sum.flows = Number(sum.flows) + 1
    sum.packets = Number(sum.packets) + Number(row.packets ?? 0)
    sum.bytes = Number(sum.bytes) + Number(row.bytes ?? 0)
  }

  rows(): Row[] {
    return [...this.sums.values()]
  }
}

export const flowsPerMinute: Rollup = { reads: 'network_flows', writes: 'flows_1m', start: () => new FlowMinuteSums() }

export const DEFAULT_ROLLUPS: readonly Rollup[] = [flowsPerMinute]
