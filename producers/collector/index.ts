// `pulse collect`'s component: an HTTP endpoint for client apps and browsers that puts their events
// on the stream through a Transport, acknowledging only what the stream accepted.
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Row } from '../../pipeline/rows.ts'
import type { Transport } from '../transport.ts'
import type { EventCheck } from './admit.ts'
import { EventHandler, type CollectorLimits } from './handler.ts'
import type { WriteKeys } from './keys.ts'
import { CollectorMetrics } from './metrics.ts'
import { RateLimiter } from './rate-limit.ts'
import { serveCollector, type CollectorServer } from './server.ts'

export type { EventCheck } from './admit.ts'
export { loadWriteKeys, type WriteKeys } from './keys.ts'
export { EVENTS_PATH, type CollectorServer } from './server.ts'

export interface CollectorOptions {
  host: string
  port: number
  allowedOrigins: readonly string[]
  keys: WriteKeys
  eventsPerSecond: number
  limits: CollectorLimits
  transport: Transport
  stream: string
  check: EventCheck
  writeDeadLetters: (rows: readonly Row[]) => Promise<void>
  registry: Registry
  logger: Logger
}

export function startCollector(options: CollectorOptions): Promise<CollectorServer> {
  const metrics = new CollectorMetrics(options.registry)
  const handler = new EventHandler({
    transport: options.transport,
    stream: options.stream,
    keys: options.keys,
    limiter: new RateLimiter(options.eventsPerSecond),
    check: options.check,
    writeDeadLetters: options.writeDeadLetters,
    metrics,
    limits: options.limits,
  })
  return serveCollector({ host: options.host, port: options.port, allowedOrigins: options.allowedOrigins, handler, metrics, logger: options.logger })
}
