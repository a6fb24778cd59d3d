// Registering the stream consumer without Kinesis: an existing consumer is reused, a missing one is
// registered and waited for until ACTIVE, a race with another worker's registration ends with its
// consumer, and a consumer being deleted stops start-up with a clear line.
import { describe, expect, it } from 'vitest'
import { DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, RegisterStreamConsumerCommand, type KinesisClient } from '@aws-sdk/client-kinesis'
import { ensureConsumer } from '../../../../../processors/source/kinesis/consumer-registration.ts'

const ARN = 'arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1'

function named(name: string): Error {
  return Object.assign(new Error(name), { name })
}

/** A client answering DescribeStreamConsumer from `statuses` in turn (undefined: not found). */
function fakeClient(statuses: (string | undefined)[], register: () => Promise<unknown> = () => Promise.resolve({ Consumer: { ConsumerARN: ARN } })): { client: KinesisClient; calls: string[] } {
  const calls: string[] = []
  const send = (command: unknown): Promise<unknown> => {
    if (command instanceof DescribeStreamSummaryCommand) return Promise.resolve({ StreamDescriptionSummary: { StreamARN: 'arn:aws:kinesis:us-east-1:1:stream/s' } })
    if (command instanceof RegisterStreamConsumerCommand) {
      calls.push('register')
      return register()
    }
    if (command instanceof DescribeStreamConsumerCommand) {
      calls.push('describe')
      const status = statuses.shift()
      return status === undefined ? Promise.reject(named('ResourceNotFoundException')) : Promise.resolve({ ConsumerDescription: { ConsumerARN: ARN, ConsumerStatus: status } })
    }
    return Promise.reject(new Error('unexpected command'))
  }
  return { client: { send } as unknown as KinesisClient, calls }
}

const target = (client: KinesisClient): Parameters<typeof ensureConsumer>[0] => ({ client, stream: 's', consumerName: 'c', signal: new AbortController().signal })

describe('ensureConsumer', () => {
  it('reuses an ACTIVE consumer without registering', async () => {
    const { client, calls } = fakeClient(['ACTIVE'])
    expect(await ensureConsumer(target(client))).toBe(ARN)
    expect(calls).toEqual(['describe'])
  })

  it('registers a missing consumer and waits until it is ACTIVE', async () => {
    const { client, calls } = fakeClient([undefined, 'CREATING', 'ACTIVE'])
    expect(await ensureConsumer(target(client))).toBe(ARN)
    expect(calls).toEqual(['describe', 'register', 'describe', 'describe'])
  })

  it('takes the consumer another worker registered between its look and its registration', async () => {
    const { client, calls } = fakeClient([undefined, 'CREATING', 'ACTIVE'], () => Promise.reject(named('ResourceInUseException')))
    expect(await ensureConsumer(target(client))).toBe(ARN)
    expect(calls).toEqual(['describe', 'register', 'describe', 'describe'])
  })

  it('stops on a consumer being deleted, naming it', async () => {
    const { client } = fakeClient(['DELETING'])
    await expect(ensureConsumer(target(client))).rejects.toThrow('stream consumer c of s is being deleted; start again once it is gone')
  })

  it('names the consumer and stream in any other failure (e.g. no permission to register)', async () => {
    const { client } = fakeClient([undefined], () => Promise.reject(named('AccessDeniedException')))
    await expect(ensureConsumer(target(client))).rejects.toThrow(/^stream consumer c of s: AccessDeniedException$/)
  })
})
