// Plugs the fan-out reader into the seam the polling reader fills: the source calls a ShardRead with
// the same options either way, so hand-off, backpressure, checkpoints and lease loss stay the source's.
// This file turns SubscribeToShard's event stream into the reader's events and names the polling
// reader as the way to read a closed shard's rest.
import { SubscribeToShardCommand, type KinesisClient, type StartingPosition, type SubscribeToShardEventStream } from '@aws-sdk/client-kinesis'
import type { Logger } from 'pino'
import { ensureConsumer } from './consumer-registration.ts'
import { readShardFanOut, type ShardEvent } from './fanout-reader.ts'
import { readShard, type ShardReaderOptions } from './shard-reader.ts'
import type { SubscriptionMetrics } from './subscription-metrics.ts'

export type ShardRead = (options: ShardReaderOptions) => Promise<'ended' | 'stopped'>

export interface FanOut {
  /** The SubscribeToShard client (HTTP/2 on AWS; see createFanOutClient). */
  client: KinesisClient
  /** The registered consumer's ARN, per stream. */
  consumerArns: ReadonlyMap<string, string>
  renewAfterMs: number
  isClosed(stream: string, shardId: string): boolean
  subscriptions: SubscriptionMetrics
}

/** What `--kinesis-consumer` asks for; the source adds the streams and what discovery knows. */
export interface FanOutSettings {
  client: KinesisClient
  consumerName: string
  renewAfterMs: number
  subscriptions: SubscriptionMetrics
}

/** Registers the consumer on every stream (or finds it), waits for it to be ACTIVE, and answers the reader. */
export async function startFanOut(settings: FanOutSettings, target: { client: KinesisClient; streams: readonly string[]; isClosed: FanOut['isClosed']; signal: AbortSignal; logger: Logger }): Promise<ShardRead> {
  // All streams at once: each registration waits for ACTIVE (seconds on AWS).
  const arns = await Promise.all(target.streams.map((stream) => ensureConsumer({ client: target.client, stream, consumerName: settings.consumerName, signal: target.signal })))
  const consumerArns = new Map(target.streams.map((stream, index) => [stream, arns[index] ?? '']))
  for (const [stream, arn] of consumerArns) target.logger.info({ stream, consumer: arn }, 'reading with enhanced fan-out')
  return fanOutRead({ client: settings.client, consumerArns, renewAfterMs: settings.renewAfterMs, isClosed: target.isClosed, subscriptions: settings.subscriptions })
}

export function fanOutRead(fanOut: FanOut): ShardRead {
  return (options) => {
    const consumerArn = fanOut.consumerArns.get(options.stream)
    if (consumerArn === undefined) throw new Error(`no stream consumer registered on ${options.stream}`)
    return readShardFanOut({
      ...options,
      subscribe: (position, signal) => subscribe(fanOut.client, consumerArn, options.shardId, position, signal),
      readRest: (after) => readShard({ ...options, after }),
      isClosed: () => fanOut.isClosed(options.stream, options.shardId),
      renewAfterMs: fanOut.renewAfterMs,
      subscriptions: fanOut.subscriptions,
    })
  }
}

async function subscribe(client: KinesisClient, consumerArn: string, shardId: string, position: StartingPosition, signal: AbortSignal): Promise<AsyncIterable<ShardEvent>> {
  const response = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: position }), { abortSignal: signal })
  if (response.EventStream === undefined) throw new Error(`SubscribeToShard of ${shardId} answered no event stream`)
  return shardEvents(response.EventStream)
}

/** The records events; an exception sent down the stream (ResourceInUse, KMS, internal failure) is thrown. */
async function* shardEvents(stream: AsyncIterable<SubscribeToShardEventStream>): AsyncGenerator<ShardEvent> {
  for await (const member of stream) {
    if (member.SubscribeToShardEvent !== undefined) yield member.SubscribeToShardEvent
    else throw streamException(member)
  }
}

function streamException(member: SubscribeToShardEventStream): Error {
  const fields: [string, unknown][] = Object.entries(member as object)
  const [name, value] = fields.find(([, field]) => field !== undefined) ?? ['UnknownEvent', undefined]
  if (value instanceof Error) return value
  const message = typeof value === 'object' && value !== null && 'message' in value ? `: ${String(value.message)}` : ''
  const error = new Error(`SubscribeToShard sent ${name}${message}`)
  error.name = name === '$unknown' ? 'UnknownEvent' : name
  return error
}
