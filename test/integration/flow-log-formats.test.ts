// Real flow log files as AWS delivers them: a custom format named by the S3 header line (fields in a
// non-default order, version 3 to 8 fields, IPv6, NODATA) lands with every field in its column; the
// same lines without a header are read with --flow-log-format; a .gz file and a directory of files
// read the same as the plain file; a line whose field count does not match is a dead letter with
// the reason; a header without start/end is refused once and its lines dead-lettered.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { replayFlowLogPath } from '../../producers/flow-log/replay.ts'
import { FLOW_LOG_FIELDS } from '../../schemas/flow-log/fields.ts'
import { configuredFormat } from '../../schemas/flow-log/format.ts'
import { columnOf, expectedColumns, lineIn, type FlowFields } from '../helpers/flow-log-lines.ts'
import { kinesisPipeline, startProcessor, type TestPipeline } from '../helpers/pipeline.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

// Every field of versions 2 to 8, the v3-v5 ones first, in no order AWS's default uses.
const ORDER = [
  'flow-direction', 'pkt-srcaddr', 'tcp-flags', 'start', 'srcaddr', 'type', 'az-id', 'traffic-path', 'dstaddr', 'end', 'pkt-dstaddr',
  'region', 'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service', 'vpc-id', 'subnet-id', 'instance-id',
  'log-status', 'action', 'bytes', 'packets', 'protocol', 'dstport', 'srcport', 'interface-id', 'account-id', 'version',
  'ecs-cluster-arn', 'ecs-cluster-name', 'ecs-container-instance-arn', 'ecs-container-instance-id', 'ecs-container-id',
  'ecs-second-container-id', 'ecs-service-name', 'ecs-task-definition-arn', 'ecs-task-arn', 'ecs-task-id', 'reject-reason',
]

const T = 1_717_000_000
const RECORDS: readonly FlowFields[] = [
  {
    version: '8', 'account-id': '123456789010', 'interface-id': 'eni-0f1e2d3c4b5a69788', srcaddr: '2001:db8:1234:a100::10', dstaddr: '2001:db8:1234:a102::20',
    srcport: '44321', dstport: '443', protocol: '6', packets: '12', bytes: '5120', start: String(T), end: String(T + 60), action: 'ACCEPT', 'log-status': 'OK',
    'vpc-id': 'vpc-0a1b2c3d', 'subnet-id': 'subnet-0a1b2c3d', 'instance-id': 'i-0123456789abcdef0', 'tcp-flags': '19', type: 'IPv6',
    'pkt-srcaddr': '2001:db8:1234:a100::10', 'pkt-dstaddr': '2001:db8:1234:a102::20', region: 'us-east-1', 'az-id': 'use1-az4',
    'sublocation-type': 'outpost', 'sublocation-id': 'op-0123456789abcdef0', 'pkt-src-aws-service': 'AMAZON', 'pkt-dst-aws-service': 'S3',
    'flow-direction': 'egress', 'traffic-path': '8', 'ecs-cluster-arn': 'arn:aws:ecs:us-east-1:123456789010:cluster/playback',
    'ecs-cluster-name': 'playback', 'ecs-container-instance-arn': 'arn:aws:ecs:us-east-1:123456789010:container-instance/abc',
    'ecs-container-instance-id': 'abc', 'ecs-container-id': 'c0ffee', 'ecs-second-container-id': 'decaf', 'ecs-service-name': 'playback-api',
    'ecs-task-definition-arn': 'arn:aws:ecs:us-east-1:123456789010:task-definition/playback:7', 'ecs-task-arn': 'arn:aws:ecs:us-east-1:123456789010:task/playback/t1',
    'ecs-task-id': 't1', 'reject-reason': '-',
  },
  {
    version: '8', 'account-id': '123456789010', 'interface-id': 'eni-0f1e2d3c4b5a69788', srcaddr: '198.51.100.7', dstaddr: '10.0.1.5',
    srcport: '51000', dstport: '22', protocol: '6', packets: '1', bytes: '40', start: String(T + 5), end: String(T + 65), action: 'REJECT', 'log-status': 'OK',
    'vpc-id': 'vpc-0a1b2c3d', 'tcp-flags': '2', type: 'IPv4', 'flow-direction': 'ingress', 'reject-reason': 'BPA',
  },
  { version: '8', 'account-id': '123456789010', 'interface-id': 'eni-0aaaabbbbccccdddd', start: String(T + 10), end: String(T + 70), 'log-status': 'NODATA' },
]

function writeFiles(lines: readonly string[], header: boolean): { dir: string; plain: string; gz: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-flow-files-'))
  const text = `${header ? `${ORDER.join(' ')}\n` : ''}${lines.join('\n')}\n`
  const plain = join(dir, 'plain.log')
  writeFileSync(plain, text)
  mkdirSync(join(dir, 'gz'))
  const gz = join(dir, 'gz', 'flows.log.gz')
  writeFileSync(gz, gzipSync(text))
  return { dir, plain, gz }
}

async function landedRows(pipeline: TestPipeline, expected: number): Promise<Record<string, string | null>[]> {
  const { clickhouse } = embeddedClickHouse()
  const columns = FLOW_LOG_FIELDS.map((field) => columnOf(field.name))
  const select = columns.map((column) => (column === 'flow_start' || column === 'flow_end' ? `toString(toUnixTimestamp(${column})) AS ${column}` : `toString(${column}) AS ${column}`))
  await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.network_flows`), (n) => n === expected, { what: `${expected} flows` })
  const result = await clickhouse.client.query({ query: `SELECT ${select.join(', ')} FROM ${pipeline.database}.network_flows ORDER BY flow_start`, format: 'JSONEachRow' })
  return result.json<Record<string, string | null>>()
}

const lines = RECORDS.map((record) => lineIn(ORDER, record))
const expected = RECORDS.map((record) => expectedColumns(ORDER, record))

describe('flow log files in custom formats', () => {
  it('land with every field in its column, from a header line, and a .gz file reads the same', async () => {
    const pipeline = await kinesisPipeline()
    const files = writeFiles([...lines, '2 too few fields'], true)
    const put = (path: string): ReturnType<typeof replayFlowLogPath> => replayFlowLogPath(path, pipeline.transport, pipeline.kinesis.streams.network_flow, pipeline.runtime.logger)
    expect(await put(files.plain)).toEqual({ records: 4, unreadable: 1, skipped: 1, refusedFiles: 0 })
    await startProcessor(pipeline)
    expect(await landedRows(pipeline, 3)).toEqual(expected)

    // The same file gzip-compressed, found by walking its directory: the same rows again, twice over.
    expect(await put(join(files.dir, 'gz'))).toEqual({ records: 4, unreadable: 1, skipped: 1, refusedFiles: 0 })
    const twice = await landedRows(pipeline, 6)
    expect(twice.filter((_, index) => index % 2 === 0)).toEqual(expected)
    expect(twice.filter((_, index) => index % 2 === 1)).toEqual(expected)

    const { clickhouse } = embeddedClickHouse()
    const letters = await pollUntil(
      async () => (await clickhouse.client.query({ query: `SELECT stage, reason, detail, raw_preview FROM ${pipeline.database}.dead_letters`, format: 'JSONEachRow' })).json<{ reason: string; detail: string; raw_preview: string }>(),
      (rows) => rows.length === 2,
      { what: 'two dead letters' },
    )
    expect(letters.map((row) => [row.reason, row.raw_preview])).toEqual([['field_count', '2 too few fields'], ['field_count', '2 too few fields']])
    expect(letters[0]?.detail).toMatch(/^4 fields where the format has 40/)
    // NODATA is kept as a record; flows_1m sums the two with traffic.
    expect(await count(clickhouse, `SELECT sum(flows) FROM ${pipeline.database}.flows_1m`)).toBe(4)
  })

  it('read lines without a header in the format given as --flow-log-format', async () => {
    const pipeline = await kinesisPipeline()
    const files = writeFiles(lines, false)
    const format = configuredFormat(ORDER.map((name) => `\${${name}}`).join(' '))
    const report = await replayFlowLogPath(files.plain, pipeline.transport, pipeline.kinesis.streams.network_flow, pipeline.runtime.logger, { format })
    expect(report).toEqual({ records: 3, unreadable: 0, skipped: 0, refusedFiles: 0 })
    await startProcessor(pipeline)
    expect(await landedRows(pipeline, 3)).toEqual(expected)
  })

  it('refuses a header without start and end once, and dead-letters its lines with the reason', async () => {
    const pipeline = await kinesisPipeline()
    const dir = mkdtempSync(join(tmpdir(), 'pulse-flow-files-'))
    writeFileSync(join(dir, 'no-times.log'), 'version srcaddr dstaddr bytes\n2 10.0.0.1 10.0.0.2 100\n2 10.0.0.3 10.0.0.4 200\n')
    const report = await replayFlowLogPath(dir, pipeline.transport, pipeline.kinesis.streams.network_flow, pipeline.runtime.logger)
    expect(report).toEqual({ records: 2, unreadable: 2, skipped: 1, refusedFiles: 1 })
    await startProcessor(pipeline)
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.dead_letters WHERE reason = 'bad_format' AND detail LIKE '%lacks start and end%'`), (n) => n === 2, { what: 'two bad_format dead letters' })
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.network_flows`)).toBe(0)
  })
})
