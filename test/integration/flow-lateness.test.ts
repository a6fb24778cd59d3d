// Flow logs arrive late by design: AWS delivers them to CloudWatch Logs in about 5 minutes and to
// S3 in about 10. A flow whose event time is 9 minutes behind the newest flow already processed on
// its shard is counted in flows_1m, in its own minute, with the defaults: nothing is too_late.
import { describe, expect, it } from 'vitest'
import { encode } from '../../schemas/codec.ts'
import type { NetworkFlow } from '../../schemas/types.ts'
import { kinesisPipeline, startProcessor } from '../helpers/pipeline.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

function flow(start: number, bytes: number): NetworkFlow {
  return {
    version: 2, account_id: '123456789010', interface_id: 'eni-0123456789abcdef0', src_addr: '10.0.0.1', dst_addr: '10.0.0.2', src_port: 443,
    dst_port: 50000, protocol: 6, packets: 1, bytes, start, end: start + 60, action: 'ACCEPT', log_status: 'OK',
  }
}

describe('flow lateness with the defaults', () => {
  it('counts a flow 9 minutes late in event time in flows_1m, not too_late', async () => {
    const pipeline = await kinesisPipeline()
    const stream = pipeline.kinesis.streams.network_flow
    const now = Math.floor(Date.now() / 1000 / 60) * 60
    const send = (flows: NetworkFlow[]): Promise<void> => pipeline.transport.send(stream, flows.map((record) => ({ key: record.interface_id, value: encode('network_flow', record) })))
    const first = await startProcessor(pipeline)
    await send([flow(now - 60, 100), flow(now - 30, 200)])
    const { clickhouse } = embeddedClickHouse()
    await pollUntil(() => count(clickhouse, `SELECT sum(flows) FROM ${pipeline.database}.flows_1m`), (n) => n === 2, { what: 'the on-time flows' })

    // Same interface, so the same shard: 9 minutes behind the newest flow it has seen.
    const late = now - 30 - 9 * 60
    await send([flow(late, 4000)])
    await pollUntil(() => count(clickhouse, `SELECT sum(flows) FROM ${pipeline.database}.flows_1m`), (n) => n === 3, { what: 'the late flow in flows_1m' })
    expect(await count(clickhouse, `SELECT sum(bytes) FROM ${pipeline.database}.flows_1m WHERE minute = toDateTime(${Math.floor(late / 60) * 60}, 'UTC')`)).toBe(4000)
    expect(await count(clickhouse, `SELECT count() FROM ${pipeline.database}.dead_letters`)).toBe(0)
    const tooLate = (await first.processor.metrics.lateEvents.get()).values.filter((value) => value.labels.arrival === 'too_late')
    expect(tooLate.reduce((sum, value) => sum + value.value, 0)).toBe(0)
  })
})
