import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { heldPartitions, parseHeld } from '../../../chaos/held.ts'

const METRICS = (a: number, b: number): string => [
  '# HELP pulse_source_partitions_assigned Shards or partitions this process reads.',
  '# TYPE pulse_source_partitions_assigned gauge',
  `pulse_source_partitions_assigned{stream="t-client-events"} ${a}`,
  `pulse_source_partitions_assigned{stream="t-network-flows"} ${b}`,
  'pulse_source_records_total{stream="t-client-events"} 17',
  '',
].join('\n')

const servers: Server[] = []

async function member(body: string | undefined): Promise<number> {
  const server = createServer((_, response) => (body === undefined ? response.writeHead(503).end() : response.end(body)))
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  return (server.address() as AddressInfo).port
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))))
})

describe('what the chaos members hold', () => {
  it('reads the partitions gauge per stream, nothing else', () => {
    expect(parseHeld(METRICS(3, 0))).toEqual(new Map([['t-client-events', 3], ['t-network-flows', 0]]))
  })

  it('sums the members, and knows nothing while one does not answer', async () => {
    const ports = [await member(METRICS(3, 1)), await member(METRICS(1, 3))]
    expect(await heldPartitions(ports)).toEqual(new Map([['t-client-events', 4], ['t-network-flows', 4]]))
    expect(await heldPartitions([...ports, await member(undefined)])).toBeUndefined()
  })
})
