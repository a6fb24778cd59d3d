// `npm run bench:collect`: autocannon on loopback against the floor (a bare Node http handler that
// parses the JSON body and answers 200) and against Pulse's collector, same body, same load, one
// after the other in one run; prints events/s and latency of both and the collector's share.
//
//   npm run bench:collect                       2 rounds of 10 s each, 50 connections, 20 events a request
//   BENCH_SECONDS=20 BENCH_BATCH=50 npm run bench:collect
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createClientTraffic } from '../producers/generators/client-traffic.ts'
import { BENCH_KEY } from './collect/key.ts'

interface Result {
  name: string
  eventsPerSecond: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  non2xx: number
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const BATCH = Number(process.env.BENCH_BATCH ?? 20)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)

/** A realistic client batch: generated events (their send times now, so none is refused as skewed). */
function body(): string {
  const traffic = createClientTraffic({ seed: 7, startTime: Date.now(), ratePerSecond: 1000, viewers: 50 })
  return JSON.stringify(Array.from({ length: BATCH }, () => traffic.next().record))
}

async function startServer(which: string): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./collect/servers.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, which], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
  return { child, port: Number(chunk.toString().trim()) }
}

async function drive(name: string, which: string, payload: string): Promise<Result> {
  const { child, port } = await startServer(which)
  try {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/v1/events`,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BENCH_KEY}` },
      body: payload,
      connections: CONNECTIONS,
      duration: SECONDS,
    })
    return { name, eventsPerSecond: result.requests.average * BATCH, requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx }
  } finally {
    child.kill('SIGTERM')
  }
}

function row(result: Result): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US')
  return `| ${result.name} | ${n(result.eventsPerSecond)} | ${n(result.requestsPerSecond)} | ${result.p50Ms} | ${result.p99Ms} | ${result.non2xx} |`
}

const payload = body()
process.stdout.write(`bench:collect: ${SECONDS} s each, ${CONNECTIONS} connections, ${BATCH} events (${payload.length} bytes) a request; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1) ?? '?'}\n`)
// Rounds alternate the two, so a neighbour's load on the shared cores falls on both alike.
const floors: Result[] = []
const collectors: Result[] = []
for (let round = 0; round < ROUNDS; round++) {
  floors.push(await drive('floor (node:http + JSON.parse)', 'floor', payload))
  collectors.push(await drive('pulse collect', 'collector', payload))
}
process.stdout.write(['| server | events/s | requests/s | p50 ms | p99 ms | non-2xx |', '|---|---|---|---|---|---|', ...floors.map(row), ...collectors.map(row)].join('\n') + '\n')
const total = (results: readonly Result[]): number => results.reduce((sum, result) => sum + result.eventsPerSecond, 0)
const share = total(collectors) / total(floors)
process.stdout.write(`collector / floor: ${(share * 100).toFixed(0)}% of the floor's events/s over ${ROUNDS} round(s) (bar: at least 50%)\n`)
process.exitCode = share >= 0.5 && collectors.every((result) => result.non2xx === 0) ? 0 : 1
