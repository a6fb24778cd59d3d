// `pulse produce`: the producing role alone. Generates client traffic, network traffic or both at the
// configured rates and puts it on the configured stream until stopped.
import { createClientTraffic } from '../producers/generators/client-traffic.ts'
import { createFlowTraffic } from '../producers/generators/flow-traffic.ts'
import { driveTraffic } from '../producers/driver.ts'
import type { Traffic } from '../producers/traffic.ts'
import { serveOps } from '../runtime/ops-server.ts'
import { ConfigError } from '../runtime/errors.ts'
import type { Config } from '../runtime/config.ts'
import { openStreams, type Runtime } from './roles.ts'
import { openLines, replayAssignments, replayFlowLogPath } from '../producers/flow-log/replay.ts'
import { configuredFormat } from '../schemas/flow-log/format.ts'
import { stopSignal } from './signals.ts'
import { printStatusUntilStopped, readTotals } from './status.ts'
import { assertPortsFree } from './port-check.ts'

export type TrafficChoice = 'clients' | 'flows' | 'all'

export function parseTrafficChoice(word: string | undefined): TrafficChoice {
  if (word === undefined) return 'all'
  if (word === 'clients' || word === 'flows' || word === 'all') return word
  throw new ConfigError(`pulse produce: unknown traffic "${word}" (clients, flows or all)`)
}

export function generatedTraffic(config: Config, choice: TrafficChoice, startTime: number): { traffic: Traffic; ratePerSecond: number }[] {
  const { producer } = config
  const traffics: { traffic: Traffic; ratePerSecond: number }[] = []
  // A rate of 0 switches that traffic off (e.g. to replay a flow log file into a running pipeline).
  if (choice !== 'flows' && producer.clientRate > 0) {
    traffics.push({ traffic: createClientTraffic({ seed: producer.seed, startTime, ratePerSecond: producer.clientRate, viewers: producer.viewers }), ratePerSecond: producer.clientRate })
  }
  if (choice !== 'clients' && producer.flowRate > 0) {
    traffics.push({ traffic: createFlowTraffic({ seed: producer.seed, startTime, ratePerSecond: producer.flowRate }), ratePerSecond: producer.flowRate })
  }
  return traffics
}

export interface ReplayFiles {
  flows: string | undefined
  assignments: string | undefined
}

/** `pulse produce flows --file PATH|- [--assignments FILE]`: replays files instead of generating. */
export async function runReplay(runtime: Runtime, files: ReplayFiles, out: NodeJS.WritableStream): Promise<number> {
  const streams = await openStreams(runtime, false)
  const transport = streams.transport()
  try {
    await transport.ensureStreams(Object.values(streams.streams))
    if (files.assignments !== undefined) {
      const sent = await replayAssignments(openLines(files.assignments), transport, streams.streams.ip_assignment)
      out.write(`${sent} IP assignment change(s) from ${files.assignments} put on ${streams.streams.ip_assignment}\n`)
    }
    if (files.flows !== undefined) {
      const format = configuredFormat(runtime.config.flowLogs.format)
      const report = await replayFlowLogPath(files.flows, transport, streams.streams.network_flow, runtime.logger, { format })
      const where = files.flows === '-' ? 'standard input' : files.flows
      const refused = report.refusedFiles > 0 ? `; ${report.refusedFiles} file(s) in a format Pulse refuses, see the log` : ''
      out.write(`${report.records} flow log record(s) from ${where} put on ${streams.streams.network_flow} (${report.unreadable} unreadable, sent to be dead-lettered; ${report.skipped} header or blank line(s)${refused})\n`)
    }
  } finally {
    await transport.close()
    await streams.close()
  }
  return 0
}

export async function runProduce(runtime: Runtime, choice: TrafficChoice, out: NodeJS.WritableStream): Promise<number> {
  const { config, logger, registry } = runtime
  await assertPortsFree([{ port: config.http.metricsPort, host: config.http.metricsHost, flag: 'metrics-port' }])
  const stopping = stopSignal(config.duration)
  const streams = await openStreams(runtime, false)
  const transport = streams.transport()
  const ops = await serveOps(registry, config.http.metricsPort, {}, config.http.metricsHost)
  try {
    await transport.ensureStreams(Object.values(streams.streams))
    const producing = new AbortController()
    void stopping.stopped.then(() => producing.abort())
    logger.info({ source: config.source, traffic: choice }, 'producing')
    const start = Date.now()
    const driving = driveTraffic({ transport, streams: streams.streams, traffics: generatedTraffic(config, choice, start), logger, signal: producing.signal })
    // The line stops with the traffic, whether Ctrl-C, --duration or a failure ended it.
    const status = printStatusUntilStopped({ registry, out, start, processed: () => 0, stopped: driving.then(noop, noop), source: config.source, role: 'produce' })
    await driving
    await status
    const { produced } = await readTotals(registry, 0)
    const seconds = (Date.now() - start) / 1000
    out.write(`\nProduced ${produced.toLocaleString('en-US')} records in ${seconds.toFixed(1)} s onto ${Object.values(streams.streams).join(', ')}.\n`)
  } finally {
    stopping.dispose()
    await ops.close()
    await transport.close()
    await streams.close()
  }
  return 0
}

function noop(): void {}
