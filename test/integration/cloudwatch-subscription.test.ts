// CloudWatch Logs subscription records on a foreign Kinesis stream (--flow-log-stream), as a flow
// log's subscription filter delivers them: gzip-compressed JSON, DATA_MESSAGE records carrying
// several log events each (flow log lines in the configured format), one CONTROL_MESSAGE, and plain
// lines beside them. Every event lands exactly once, pointing to its record and its place in it,
// across a processor that dies between an insert and its commit; a bad event is a dead letter that
// points to it; the control message is skipped and counted.
import { PutRecordsCommand } from '@aws-sdk/client-kinesis'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { crashOnCommit } from '../helpers/crash-on-commit.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'
import { count, embeddedClickHouse, pollUntil, uniqueName } from '../helpers/services.ts'

const FORMAT = '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${flow-direction}'
const RECORDS = 24
const EVENTS_PER_RECORD = 25
const START = Math.floor(Date.now() / 1000) - 600

function line(record: number, event: number): string {
  const start = START + record
  return `5 123456789010 eni-${String(record).padStart(17, '0')} 10.0.${record}.${event} 10.1.0.1 ${40000 + event} 443 6 ${event + 1} ${100 * (event + 1)} ${start} ${start + 60} ACCEPT OK vpc-0a1b2c3d egress`
}

function dataMessage(record: number, events: readonly string[]): Buffer {
  const envelope = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789010',
    logGroup: 'vpc-flow-logs',
    logStream: `eni-${record}-all`,
    subscriptionFilters: ['to-pulse'],
    logEvents: events.map((message, index) => ({ id: `${record}-${index}`, timestamp: (START + record) * 1000, message })),
  }
  return gzipSync(JSON.stringify(envelope))
}

const CONTROL = gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: Date.now(), message: 'CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.' }] }))

describe('CloudWatch Logs subscription records on a foreign stream', () => {
  it('land as exactly their events, once, across a processor killed between insert and commit', async () => {
    const foreign = uniqueName('cwl').replaceAll('_', '-')
    const pipeline = await kinesisPipeline({ clickhouse: { batchRows: 100, flushIntervalMs: 100_000 }, flowLogs: { stream: foreign, format: FORMAT } })
    await pipeline.transport.ensureStreams([foreign])
    const records: Buffer[] = [CONTROL]
    for (let record = 0; record < RECORDS; record++) {
      const events = Array.from({ length: EVENTS_PER_RECORD }, (_, event) => line(record, event))
      // One event of the first record has a field too few: a dead letter pointing to event 3 of it.
      if (record === 0) events[3] = events[3]?.split(' ').slice(1).join(' ') ?? ''
      records.push(dataMessage(record, events))
    }
    // Plain flow log lines are accepted on the same stream.
    records.push(Buffer.from(`${line(99, 0)}\n${line(99, 1)}\n`))
    await pipeline.kinesis.client.send(new PutRecordsCommand({ StreamName: foreign, Records: records.map((data, index) => ({ Data: data, PartitionKey: `key-${index % 5}` })) }))
    const expectedFlows = RECORDS * EVENTS_PER_RECORD - 1 + 2

    let crashed = false
    const first = await startProcessor(pipeline, crashOnCommit(2, () => (crashed = true)))
    await pollUntil(() => Promise.resolve(crashed), (value) => value, { what: 'the simulated crash' })
    const { clickhouse } = embeddedClickHouse()
    const table = `${pipeline.database}.network_flows`
    const before = await count(clickhouse, `SELECT count() FROM ${table}`)
    await first.kill()

    const config = pipeline.runtime.config
    const second = await startProcessor({ ...pipeline, runtime: { ...pipeline.runtime, config: { ...config, clickhouse: { ...config.clickhouse, flushIntervalMs: 200 } } } })
    await pollUntil(() => count(clickhouse, `SELECT uniqExact(source_position, source_index) FROM ${table}`), (n) => n === expectedFlows, { what: 'every event' })
    await second.stop()

    expect(before).toBeGreaterThan(0)
    expect(await count(clickhouse, `SELECT count() FROM ${table}`)).toBe(expectedFlows)
    expect(await count(clickhouse, `SELECT uniqExact(src_addr, flow_start) FROM ${table}`)).toBe(expectedFlows)
    expect(await count(clickhouse, `SELECT sum(flows) FROM ${pipeline.database}.flows_1m`)).toBe(expectedFlows)
    // Each row knows its event's place in the record: a record's events are 0..24 (3 missing in the first).
    expect(await count(clickhouse, `SELECT count() FROM ${table} WHERE source_index != toUInt32(splitByChar('.', src_addr)[4]) AND interface_id != 'eni-${'99'.padStart(17, '0')}'`)).toBe(0)
    expect(await count(clickhouse, `SELECT countIf(vpc_id = 'vpc-0a1b2c3d' AND flow_direction = 'egress' AND version = 5) FROM ${table}`)).toBe(expectedFlows)

    const letters = await (await clickhouse.client.query({ query: `SELECT reason, source_index, raw_preview FROM ${pipeline.database}.dead_letters`, format: 'JSONEachRow' })).json<{ reason: string; source_index: number; raw_preview: string }>()
    expect(letters).toEqual([{ reason: 'field_count', source_index: 3, raw_preview: line(0, 3).split(' ').slice(1).join(' ') }])
    // Counted by whichever processor read it (both, when its shard's commit was the one that failed).
    const skipped = [first, second].map(async (role) => (await role.processor.metrics.skippedRecords.get()).values.find((value) => value.labels.reason === 'control_message')?.value ?? 0)
    const total = (await Promise.all(skipped)).reduce((sum, value) => sum + value, 0)
    expect(total === 1 || total === 2).toBe(true)
  })
})
