// kafkajs against @platformatic/kafka on a real Apache Kafka broker (infra/kafka), same workload for
// both: produce N small messages (Pulse's own encoded client events, keyed by app session) in batches,
// then consume them all in a consumer group from the earliest offset. Each client runs in a child
// process of its own (no shared JIT or heap), one after the other, on a fresh topic of the same
// broker; the parent prints the events/s side by side.
//
//   npm run bench:kafka-clients                         500,000 messages, 1 round
//   BENCH_MESSAGES=200000 BENCH_ROUNDS=2 npm run bench:kafka-clients
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { freePorts } from '../infra/ports.ts'
import { machine } from '../infra/report-section.ts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startKafka } from '../infra/kafka/broker.ts'
import { runClient, type ClientName, type ClientResult, type Workload } from './kafka-clients/run-client.ts'

const CLIENTS: readonly ClientName[] = ['kafkajs', '@platformatic/kafka']

async function main(): Promise<void> {
  const child = process.argv.indexOf('--client')
  if (child !== -1) {
    // Child: run one client against the broker the parent gives, report one JSON line.
    const workload = JSON.parse(process.argv[child + 2] ?? '{}') as Workload
    const result = await runClient(process.argv[child + 1] as ClientName, workload)
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  const messages = Number(process.env.BENCH_MESSAGES ?? 500_000)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 1)
  const dataDir = await mkdtemp(join(tmpdir(), 'pulse-bench-kafka-'))
  const [port, controllerPort] = await freePorts(2)
  const broker = await startKafka({ port, controllerPort, dataDir, log: (line) => process.stderr.write(`${line}\n`) })
  try {
    describeMachine(messages)
    const results: ClientResult[] = []
    for (let round = 1; round <= rounds; round++) {
      for (const client of CLIENTS) {
        const workload: Workload = { brokers: broker.brokers, messages, batch: 1000, partitions: 4, tag: `r${round}` }
        const result = await runChild(client, workload)
        results.push(result)
        process.stderr.write(`round ${round} ${client}: produce ${rate(result.produceSeconds, messages)}/s, consume ${rate(result.consumeSeconds, messages)}/s\n`)
      }
    }
    printTable(results, messages)
  } finally {
    await broker.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function runChild(client: ClientName, workload: Workload): Promise<ClientResult> {
  const script = fileURLToPath(import.meta.url)
  const childProcess = spawn(process.execPath, ['--import', 'tsx', script, '--client', client, JSON.stringify(workload)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  childProcess.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const [code] = (await once(childProcess, 'exit')) as [number | null]
  const line = output.trim().split('\n').pop() ?? ''
  if (code !== 0 || line === '') throw new Error(`${client} run failed (exit ${String(code)}): ${output}`)
  return JSON.parse(line) as ClientResult
}

function describeMachine(messages: number): void {
  process.stdout.write(`machine: ${machine()}\n`)
  process.stdout.write(`workload: ${messages.toLocaleString('en-US')} messages, batches of 1,000, acks=all, idempotent, one request in flight, 4 partitions, no compression\n\n`)
}

function rate(seconds: number, messages: number): string {
  return Math.round(messages / seconds).toLocaleString('en-US')
}

function printTable(results: readonly ClientResult[], messages: number): void {
  const rows = results.map((result) => [result.client, result.tag, `${result.averageBytes} B`, rate(result.produceSeconds, messages), rate(result.consumeSeconds, messages), result.consumed.toLocaleString('en-US')])
  const header = ['client', 'round', 'message', 'produce msgs/s', 'consume msgs/s', 'consumed']
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)))
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`
  process.stdout.write(`${[line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')}\n`)
}


await main()
