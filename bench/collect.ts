// `npm run bench:collect`: autocannon on loopback against the floor (a bare Node http handler that
// parses the JSON body and answers 200) and against Pulse's collector, same body, same load, one
// after the other in one run; prints events/s and latency of both and the collector's share.
//
// Each server is warmed up first (BENCH_WARMUP_SECONDS of the same load, not counted) so both are
// measured with their code optimised, not the collector's larger code still in the interpreter. Beside
// events/s it prints each server's CPU time per request (its own cost, whatever share of the shared
// cores it got) and how busy the server and the load generator were (CPU seconds per wall second).
//
//   npm run bench:collect                       2 rounds of 10 s each, 50 connections, 20 events a request
//   BENCH_SECONDS=20 BENCH_BATCH=50 npm run bench:collect
//   BENCH_PROFILE=/tmp/prof BENCH_ROUNDS=1 npm run bench:collect    and then bench/profile-top.ts on its file
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createClientTraffic } from '../producers/generators/client-traffic.ts'
import { cpuSecondsOf, ownCpuSeconds } from './collect/cpu.ts'
import { BENCH_KEY } from './collect/key.ts'

interface Result {
  name: string
  eventsPerSecond: number
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  non2xx: number
  /** The server's CPU microseconds per answered request; undefined without /proc. */
  serverCpuMicros: number | undefined
  /** CPU seconds per wall second of the server and of the load generator (1 = one core, all the time). */
  serverBusy: number | undefined
  generatorBusy: number
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const BATCH = Number(process.env.BENCH_BATCH ?? 20)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2)
/** A folder for a V8 CPU profile of each server child (`node --cpu-prof`, in DIR/floor and DIR/collector); none when unset. */
const PROFILE_DIR = process.env.BENCH_PROFILE

/** A realistic client batch: generated events (their send times now, so none is refused as skewed). */
function body(): string {
  const traffic = createClientTraffic({ seed: 7, startTime: Date.now(), ratePerSecond: 1000, viewers: 50 })
  return JSON.stringify(Array.from({ length: BATCH }, () => traffic.next().record))
}

async function startServer(which: string): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./collect/servers.ts', import.meta.url))
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', `${PROFILE_DIR}/${which}`]
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', script, which], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
  return { child, port: Number(chunk.toString().trim()) }
}

function load(port: number, payload: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/v1/events`,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BENCH_KEY}` },
    body: payload,
    connections: CONNECTIONS,
    duration: seconds,
  })
}

async function drive(name: string, which: string, payload: string): Promise<Result> {
  const { child, port } = await startServer(which)
  try {
    if (WARMUP_SECONDS > 0) await load(port, payload, WARMUP_SECONDS)
    const pid = child.pid ?? 0
    const [serverBefore, generatorBefore, started] = [cpuSecondsOf(pid), ownCpuSeconds(), performance.now()]
    const result = await load(port, payload, SECONDS)
    const [serverAfter, generatorAfter, wall] = [cpuSecondsOf(pid), ownCpuSeconds(), (performance.now() - started) / 1000]
    const serverCpu = serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore
    return {
      name,
      eventsPerSecond: result.requests.average * BATCH,
      requestsPerSecond: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      serverCpuMicros: serverCpu === undefined ? undefined : (serverCpu * 1e6) / Math.max(1, result.requests.total),
      serverBusy: serverCpu === undefined ? undefined : serverCpu / wall,
      generatorBusy: (generatorAfter - generatorBefore) / wall,
    }
  } finally {
    child.kill('SIGTERM')
  }
}

function row(result: Result): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US')
  const share = (value: number | undefined): string => (value === undefined ? '?' : `${Math.round(value * 100)}%`)
  return `| ${result.name} | ${n(result.eventsPerSecond)} | ${n(result.requestsPerSecond)} | ${result.p50Ms} | ${result.p99Ms} | ${result.non2xx} | ${result.serverCpuMicros === undefined ? '?' : n(result.serverCpuMicros)} | ${share(result.serverBusy)} | ${share(result.generatorBusy)} |`
}

const payload = body()
process.stdout.write(`bench:collect: ${SECONDS} s each after ${WARMUP_SECONDS} s of warm-up, ${CONNECTIONS} connections, ${BATCH} events (${payload.length} bytes) a request; ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1) ?? '?'}\n`)
// Rounds alternate the two, so a neighbour's load on the shared cores falls on both alike.
const floors: Result[] = []
const collectors: Result[] = []
for (let round = 0; round < ROUNDS; round++) {
  floors.push(await drive('floor (node:http + JSON.parse)', 'floor', payload))
  collectors.push(await drive('pulse collect', 'collector', payload))
}
process.stdout.write(['| server | events/s | requests/s | p50 ms | p99 ms | non-2xx | server CPU µs/request | server busy | generator busy |', '|---|---|---|---|---|---|---|---|---|', ...floors.map(row), ...collectors.map(row)].join('\n') + '\n')
const total = (results: readonly Result[]): number => results.reduce((sum, result) => sum + result.eventsPerSecond, 0)
const share = total(collectors) / total(floors)
process.stdout.write(`collector / floor: ${(share * 100).toFixed(0)}% of the floor's events/s over ${ROUNDS} round(s) (bar: at least 50%)\n`)
// The same comparison by CPU time, which a neighbour's load on the shared cores does not move.
const meanCpu = (results: readonly Result[]): number | undefined => (results.some((result) => result.serverCpuMicros === undefined) ? undefined : results.reduce((sum, result) => sum + (result.serverCpuMicros ?? 0), 0) / results.length)
const [floorCpu, collectorCpu] = [meanCpu(floors), meanCpu(collectors)]
if (floorCpu !== undefined && collectorCpu !== undefined) {
  process.stdout.write(`server CPU per request: floor ${Math.round(floorCpu)} µs, collector ${Math.round(collectorCpu)} µs (the floor's cost is ${((floorCpu / collectorCpu) * 100).toFixed(0)}% of the collector's)\n`)
}
process.exitCode = share >= 0.5 && collectors.every((result) => result.non2xx === 0) ? 0 : 1
