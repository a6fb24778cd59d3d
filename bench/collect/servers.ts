// The two servers `npm run bench:collect` drives, each started in a child process of its own so the
// load generator in the parent does not share its event loop: the floor (Node's http, parse the JSON
// body, answer 200) and Pulse's collector with a transport that accepts at once, so the figure is
// the collector's own cost (keys, limits, schema and pipeline checks, Avro encoding, answer) and not
// the stream's.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { loadWriteKeys, startCollector } from '../../producers/collector/index.ts'
import type { Transport } from '../../producers/transport.ts'
import { pipelineEventCheck } from '../../cli/collect.ts'
import { createLogger } from '../../runtime/logger.ts'

import { BENCH_KEY } from './key.ts'

const acceptAll: Transport = {
  name: 'kinesis',
  ensureStreams: () => Promise.resolve(),
  send: () => Promise.resolve(),
  close: () => Promise.resolve(),
}

function startFloor(): Promise<number> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}')
    })
  })
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done((server.address() as AddressInfo).port)))
}

async function startBenchCollector(): Promise<number> {
  const server = await startCollector({
    host: '127.0.0.1',
    port: 0,
    allowedOrigins: [],
    keys: loadWriteKeys([`${BENCH_KEY}=bench`], undefined),
    eventsPerSecond: 1e9,
    limits: { maxBodyBytes: 1024 * 1024, maxEventBytes: 32 * 1024, maxInFlightEvents: 1e9, produceTimeoutMs: 5000 },
    transport: acceptAll,
    stream: 'bench-client-events',
    check: pipelineEventCheck(),
    writeDeadLetters: () => Promise.resolve(),
    registry: new Registry(),
    logger: createLogger({ level: 'fatal' }),
  })
  return server.port
}

const which = process.argv[2]
const port = which === 'floor' ? await startFloor() : await startBenchCollector()
process.stdout.write(`${port}\n`)
// Exit on the parent's SIGTERM through process.exit, so --cpu-prof writes its profile when asked.
process.on('SIGTERM', () => process.exit(0))
