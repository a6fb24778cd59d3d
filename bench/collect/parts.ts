// The collector's per-event work measured alone, without the socket: what a change to the JSON-to-Avro
// pass, the admission or the handler buys, read apart from HTTP and the neighbours' load on the shared
// cores (CPU time of this process, best of several rounds, per event of 20-event bodies).
//
//   npx tsx bench/collect/parts.ts [BODIES] [ROUNDS]
import { Readable } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { Registry } from 'prom-client'
import { pipelineEventCheck } from '../../cli/collect.ts'
import { admitAll } from '../../producers/collector/admit.ts'
import { EventHandler } from '../../producers/collector/handler.ts'
import { loadWriteKeys } from '../../producers/collector/keys.ts'
import { CollectorMetrics } from '../../producers/collector/metrics.ts'
import { RateLimiter } from '../../producers/collector/rate-limit.ts'
import { splitBody } from '../../producers/collector/records.ts'
import { createClientTraffic } from '../../producers/generators/client-traffic.ts'
import { AvroWriter, compileJsonToAvro } from '../../schemas/json-to-avro.ts'
import { schemasOf } from '../../schemas/registry.ts'
import type { ClientEvent } from '../../schemas/types.ts'

const BODIES = Number(process.argv[2] ?? 2000)
const ROUNDS = Number(process.argv[3] ?? 5)
const BATCH = 20

const traffic = createClientTraffic({ seed: 7, startTime: Date.now(), ratePerSecond: 1000, viewers: 50 })
const bodies = Array.from({ length: BODIES }, () => Buffer.from(JSON.stringify(Array.from({ length: BATCH }, () => traffic.next().record))))
const parsed = bodies.map((body) => JSON.parse(body.toString('utf8')) as Record<string, unknown>[])
const schemas = schemasOf('client_event')
const jsonToAvro = compileJsonToAvro(schemas, ['received_at'])
if (jsonToAvro === undefined) throw new Error('client_event does not compile')
const check = pipelineEventCheck()
const out = new AvroWriter()
const stamp = { received_at: Date.now() }
const records = parsed.map((events) =>
  events.map((event) => {
    out.begin(schemas.latest.header)
    return jsonToAvro(event, out, stamp) as ClientEvent
  }),
)
const handler = new EventHandler({
  transport: { name: 'kafka', ensureStreams: () => Promise.resolve(), send: () => Promise.resolve(), close: () => Promise.resolve() },
  stream: 'bench',
  keys: loadWriteKeys(['k=app'], undefined),
  limiter: new RateLimiter(1e12),
  check,
  writeDeadLetters: () => Promise.resolve(),
  metrics: new CollectorMetrics(new Registry()),
  limits: { maxBodyBytes: 1 << 20, maxEventBytes: 1 << 15, maxInFlightEvents: 1e9, produceTimeoutMs: 5000 },
})
const headers = { authorization: 'Bearer k', 'content-type': 'application/json' }

function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** CPU microseconds per event of `work` over every body, best of ROUNDS (the first round warms up). */
async function measure(name: string, work: (index: number) => unknown): Promise<void> {
  let best = Infinity
  for (let round = 0; round <= ROUNDS; round++) {
    const started = cpuMicros()
    for (let i = 0; i < BODIES; i++) await work(i)
    if (round > 0) best = Math.min(best, (cpuMicros() - started) / (BODIES * BATCH))
  }
  process.stdout.write(`${name.padEnd(52)} ${best.toFixed(3)} µs an event\n`)
}

await measure('JSON.parse (the floor does this)', (i) => {
  JSON.parse((bodies[i] as Buffer).toString('utf8'))
})
await measure('json-to-avro (check and encode)', (i) => {
  for (const event of parsed[i] as Record<string, unknown>[]) {
    out.begin(schemas.latest.header)
    jsonToAvro(event, out, stamp)
  }
})
await measure("the pipeline's rules (cli/collect.ts)", (i) => {
  for (const record of records[i] as ClientEvent[]) check(record, stamp.received_at)
})
await measure('splitBody + admitAll (all of the above)', (i) => admitAll(splitBody(bodies[i] as Buffer), check, stamp.received_at, out))
await measure('EventHandler.handle (all but the socket and HTTP)', (i) => handler.handle(Object.assign(Readable.from([bodies[i] as Buffer]), { headers }) as unknown as IncomingMessage, '/v1/events'))
