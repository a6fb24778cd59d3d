// The collector's per-event work measured alone, without HTTP: what a change to the JSON-to-Avro pass
// or the admission buys, read apart from the socket and the neighbours' load on the shared cores
// (CPU time of this process, best of several rounds).
//
//   npx tsx bench/collect/parts.ts [BODIES] [ROUNDS]
import { pipelineEventCheck } from '../../cli/collect.ts'
import { admitAll } from '../../producers/collector/admit.ts'
import { splitBody } from '../../producers/collector/records.ts'
import { createClientTraffic } from '../../producers/generators/client-traffic.ts'
import { AvroWriter, compileJsonToAvro } from '../../schemas/json-to-avro.ts'
import { schemasOf } from '../../schemas/registry.ts'

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

function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

/** CPU microseconds per event of `work` over every body, best of ROUNDS (the first round warms up). */
function measure(name: string, work: (index: number) => void): void {
  let best = Infinity
  for (let round = 0; round <= ROUNDS; round++) {
    const started = cpuMicros()
    for (let i = 0; i < BODIES; i++) work(i)
    if (round > 0) best = Math.min(best, (cpuMicros() - started) / (BODIES * BATCH))
  }
  process.stdout.write(`${name.padEnd(44)} ${best.toFixed(3)} µs an event\n`)
}

measure('JSON.parse (the floor does this)', (i) => {
  JSON.parse((bodies[i] as Buffer).toString('utf8'))
})
measure('json-to-avro (check and encode)', (i) => {
  for (const event of parsed[i] as Record<string, unknown>[]) {
    out.begin(schemas.latest.header)
    jsonToAvro(event, out, stamp)
  }
})
measure('splitBody + admitAll (all of the above, rules)', (i) => admitAll(splitBody(bodies[i] as Buffer), check, stamp.received_at, out))
