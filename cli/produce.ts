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
import { stopSignal } from './signals.ts'

export type TrafficChoice = 'clients' | 'flows' | 'all'

export function parseTrafficChoice(word: string | undefined): TrafficChoice {
  if (word === undefined) return 'all'
  if (word === 'clients' || word === 'flows' || word === 'all') return word
  throw new ConfigError(`pulse produce: unknown traffic "${word}" (clients, flows or all)`)
}

export function generatedTraffic(config: Config, choice: TrafficChoice, startTime: number): { traffic: Traffic; ratePerSecond: number }[] {
  const { producer } = config
  const traffics: { traffic: Traffic; ratePerSecond: number }[] = []
  if (choice !== 'flows') {
    traffics.push({ traffic: createClientTraffic({ seed: producer.seed, startTime, ratePerSecond: producer.clientRate, viewers: producer.viewers }), ratePerSecond: producer.clientRate })
  }
  if (choice !== 'clients') {
    traffics.push({ traffic: createFlowTraffic({ seed: producer.seed, startTime, ratePerSecond: producer.flowRate }), ratePerSecond: producer.flowRate })
  }
  return traffics
}

export async function runProduce(runtime: Runtime, choice: TrafficChoice): Promise<number> {
  const { config, logger, registry } = runtime
  const stopping = stopSignal(config.duration)
  const streams = await openStreams(runtime, false)
  const transport = streams.transport()
  const ops = await serveOps(registry, config.http.metricsPort, {})
  try {
    await transport.ensureStreams(Object.values(streams.streams))
    const producing = new AbortController()
    void stopping.stopped.then(() => producing.abort())
    logger.info({ source: config.source, traffic: choice }, 'producing')
    await driveTraffic({ transport, streams: streams.streams, traffics: generatedTraffic(config, choice, Date.now()), logger, signal: producing.signal })
  } finally {
    stopping.dispose()
    await ops.close()
    await transport.close()
    await streams.close()
  }
  return 0
}
