// The paced run's producer: client events at a fixed rate, each stamped with the moment it is handed
// to Kafka (client_send_time), so a row's freshness is "visible at" minus that stamp.
import { setTimeout as sleep } from 'node:timers/promises'
import { createClientTraffic } from '../../producers/generators/index.ts'
import type { KafkaTransport } from '../../producers/kafka/kafka-transport.ts'
import { encode } from '../../schemas/codec.ts'

/** Sends every 100 ms a tenth of the rate: small enough steps that pacing adds little delay. */
const STEP_MS = 100

export interface PacedOptions {
  transport: KafkaTransport
  topic: string
  format: 'avro' | 'json'
  rate: number
  count: number
  seed: number
}

export async function producePaced(options: PacedOptions): Promise<void> {
  const traffic = createClientTraffic({ seed: options.seed, startTime: Date.now(), ratePerSecond: options.rate, duplicateFraction: 0 })
  const perStep = Math.max(1, Math.round((options.rate * STEP_MS) / 1000))
  const started = Date.now()
  for (let sent = 0, step = 0; sent < options.count; step++) {
    const wait = started + step * STEP_MS - Date.now()
    if (wait > 0) await sleep(wait)
    const now = Date.now()
    const batch = []
    for (let i = 0; i < perStep && sent < options.count; i++, sent++) {
      const item = traffic.next()
      // Event time stays the generator's (near now); the send stamp is the real produce moment.
      const record = { ...item.record, client_send_time: now }
      const value = options.format === 'avro' ? encode('client_event', record) : Buffer.from(JSON.stringify(record))
      batch.push({ key: item.key, value })
    }
    await options.transport.send(options.topic, batch)
  }
}
