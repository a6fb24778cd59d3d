// AWS's own VPC flow log examples (infra/samples) replayed onto the stream, with IP assignments from
// a file: each flow is attributed to the owner of its addresses at the flow's time (the same address
// changes owner in the sample), NODATA/SKIPDATA records are kept, and flows_1m sums the OK ones.
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openLines, replayAssignments, replayFlowLog } from '../../producers/flow-log/replay.ts'
import { embeddedClickHouse, pollUntil, count } from '../helpers/services.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'

const sample = (name: string): string => fileURLToPath(new URL(`../../infra/samples/${name}`, import.meta.url))

describe('replaying a VPC flow log file', () => {
  it('enriches every record as of its own time', async () => {
    const pipeline = await kinesisPipeline()
    const { streams } = pipeline.kinesis
    expect(await replayAssignments(openLines(sample('ip-assignments.jsonl')), pipeline.transport, streams.ip_assignment)).toBe(4)
    const { clickhouse } = embeddedClickHouse()
    const first = await startProcessor(pipeline)
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.ip_assignments`), (n) => n === 4, { what: 'the assignments' })
    const report = await replayFlowLog(openLines(sample('vpc-flow-logs.txt')), pipeline.transport, streams.network_flow, pipeline.runtime.logger)
    expect(report).toEqual({ records: 7, unreadable: 0, skipped: 1, refusedFiles: 0 })
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.network_flows`), (n) => n === 7, { what: 'seven flows' })
    await first.stop()

    const result = await clickhouse.client.query({
      query: `SELECT toUnixTimestamp(flow_start) AS start, src_addr, src_app, dst_app, log_status FROM ${pipeline.database}.network_flows ORDER BY start, src_addr, log_status`,
      format: 'JSONEachRow',
    })
    const rows = await result.json<{ start: number; src_addr: string; src_app: string; dst_app: string; log_status: string }>()
    expect(rows.map((row) => [row.start, row.src_addr, row.src_app, row.dst_app, row.log_status])).toEqual([
      [1418530010, '172.31.16.139', 'ssh-bastion', 'build-agent', 'OK'], // the /24 owns .139 in 2014; .21 has its own /32
      [1418530010, '172.31.9.69', 'windows-jump', 'windows-jump', 'OK'],
      [1431280876, '', 'unknown', 'unknown', 'NODATA'],
      [1431280876, '', 'unknown', 'unknown', 'SKIPDATA'],
      [1432917027, '203.0.113.12', 'unknown', 'playback-api', 'OK'], // .139 was reassigned to playback-api in May 2015
      [1432917094, '172.31.16.139', 'playback-api', 'unknown', 'OK'],
      [1477913708, '2001:db8:1234:a100:8d6e:3477:df66:f105', 'unknown', 'unknown', 'OK'],
    ])
    const rollup = await clickhouse.client.query({
      query: `SELECT sum(flows) AS flows, sum(bytes) AS bytes FROM ${pipeline.database}.flows_1m`,
      format: 'JSONEachRow',
    })
    expect(await rollup.json()).toEqual([{ flows: 5, bytes: 4249 + 4249 + 336 + 336 + 8855 }])
  })
})
