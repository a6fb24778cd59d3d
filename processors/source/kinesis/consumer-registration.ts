// Enhanced fan-out needs a stream consumer: registered once per stream and name, then ACTIVE after a
// few seconds on AWS (500 ms on kinesis-mock). Registering is idempotent here: an existing consumer
// of that name is reused, so every worker of a fleet runs the same start-up and one of them creates it.
import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  RegisterStreamConsumerCommand,
} from '@aws-sdk/client-kinesis'
import { setTimeout as sleep } from 'node:timers/promises'
import { errorMessage } from '../../../runtime/errors.ts'

const POLL_MS = 500
/** AWS documents registration as taking seconds; past this something is wrong and start-up says so. */
const ACTIVE_TIMEOUT_MS = 120_000

export interface ConsumerTarget {
  client: KinesisClient
  stream: string
  consumerName: string
  signal: AbortSignal
}

/** The consumer's ARN once it is ACTIVE, registering it first if the stream has none of that name. */
export async function ensureConsumer(target: ConsumerTarget): Promise<string> {
  try {
    return await registered(target)
  } catch (error) {
    // Start-up stops on this with one line: it must say which consumer and stream (e.g. an IAM denial).
    if (error instanceof RegistrationError) throw error
    throw new RegistrationError(`stream consumer ${target.consumerName} of ${target.stream}: ${errorMessage(error)}`, { cause: error })
  }
}

class RegistrationError extends Error {}

async function registered(target: ConsumerTarget): Promise<string> {
  const streamArn = await describeStreamArn(target)
  const existing = await describeConsumer(target, streamArn)
  const arn = existing?.arn ?? (await register(target, streamArn))
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS
  let status = existing?.status
  while (status !== 'ACTIVE') {
    if (status === 'DELETING') throw new RegistrationError(`stream consumer ${target.consumerName} of ${target.stream} is being deleted; start again once it is gone`)
    if (Date.now() > deadline) throw new RegistrationError(`stream consumer ${target.consumerName} of ${target.stream} not ACTIVE after ${ACTIVE_TIMEOUT_MS / 1000} s (status ${status ?? 'unknown'})`)
    await sleep(POLL_MS, undefined, { signal: target.signal })
    status = (await describeConsumer(target, streamArn))?.status
  }
  return arn
}

async function describeStreamArn(target: ConsumerTarget): Promise<string> {
  const response = await target.client.send(new DescribeStreamSummaryCommand({ StreamName: target.stream }), { abortSignal: target.signal })
  const arn = response.StreamDescriptionSummary?.StreamARN
  if (arn === undefined) throw new Error(`no ARN for stream ${target.stream}`)
  return arn
}

async function describeConsumer(target: ConsumerTarget, streamArn: string): Promise<{ arn: string; status: string | undefined } | undefined> {
  try {
    const response = await target.client.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: target.consumerName }), { abortSignal: target.signal })
    const arn = response.ConsumerDescription?.ConsumerARN
    return arn === undefined ? undefined : { arn, status: response.ConsumerDescription?.ConsumerStatus }
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined
    throw error
  }
}

async function register(target: ConsumerTarget, streamArn: string): Promise<string> {
  try {
    const response = await target.client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: target.consumerName }), { abortSignal: target.signal })
    const arn = response.Consumer?.ConsumerARN
    if (arn === undefined) throw new Error(`registering ${target.consumerName} on ${target.stream} answered no ARN`)
    return arn
  } catch (error) {
    // Another worker registered it between our look and our registration.
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error
    const registered = await describeConsumer(target, streamArn)
    if (registered === undefined) throw error
    return registered.arn
  }
}
