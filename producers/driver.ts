// Feeds generated traffic to a transport in real time: every tick it takes the records whose send
// time has come, encodes them, and sends one batch per stream. If the transport falls behind, at most
// a second of traffic is taken per tick, so memory stays bounded and the generator simply lags.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { encode } from '../schemas/codec.ts'
import type { RecordKind } from '../schemas/types.ts'
import type { Traffic } from './traffic.ts'
import type { OutgoingRecord, Transport } from './transport.ts'

export interface DriverOptions {
  transport: Transport
  streams: Readonly<Record<RecordKind, string>>
  traffics: readonly { traffic: Traffic; ratePerSecond: number }[]
  logger: Logger
  signal: AbortSignal
  tickMs?: number
  now?: () => number
}

export async function driveTraffic(options: DriverOptions): Promise<void> {
  const tickMs = options.tickMs ?? 100
  const now = options.now ?? Date.now
  while (!options.signal.aborted) {
    const started = now()
    const batches = new Map<string, OutgoingRecord[]>()
    for (const { traffic, ratePerSecond } of options.traffics) takeDue(traffic, started, Math.max(1, ratePerSecond), options.streams, batches)
    await Promise.all([...batches].map(([stream, records]) => options.transport.send(stream, records)))
    const wait = tickMs - (now() - started)
    if (wait > 0) await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined)
  }
}

function takeDue(traffic: Traffic, until: number, limit: number, streams: Readonly<Record<RecordKind, string>>, batches: Map<string, OutgoingRecord[]>): void {
  for (let taken = 0; taken < limit && traffic.peekTime() <= until; taken++) {
    const generated = traffic.next()
    const stream = streams[generated.kind]
    let batch = batches.get(stream)
    if (batch === undefined) {
      batch = []
      batches.set(stream, batch)
    }
    batch.push({ key: generated.key, value: encode(generated.kind, generated.record) })
  }
}
