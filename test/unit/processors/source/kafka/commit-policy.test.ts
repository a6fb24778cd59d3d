// How the Kafka source reads a failed offset commit, on kafkajs's own error classes: lost group
// membership (the partition moved) is passed over, since ClickHouse holds the position; anything
// else is a retry with a cause label, wrapped or not by kafkajs's retrier.
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { commitCause, lostMembership } from '../../../../../processors/source/kafka/commit-policy.ts'

const protocol = (type: string): Error => new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 0, retriable: false }))

describe('Kafka commit policy', () => {
  it('sees lost membership directly and through kafkajs wrappers', () => {
    for (const type of ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']) {
      expect(lostMembership(protocol(type)), type).toBe(true)
      // As kafkajs's retrier gives up: a non-retriable error whose cause is the broker's answer.
      const wrapped = Object.assign(new KafkaJSNonRetriableError(protocol(type)), { cause: protocol(type) })
      expect(lostMembership(wrapped), `wrapped ${type}`).toBe(true)
    }
  })

  it('takes broker trouble for something to retry, with a short cause', () => {
    const down = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')
    expect(lostMembership(down)).toBe(false)
    expect(lostMembership(protocol('NOT_COORDINATOR'))).toBe(false)
    expect(commitCause(protocol('NOT_COORDINATOR'))).toBe('kafka_commit_not_coordinator')
    expect(commitCause(down)).toBe('kafka_commit_kafkajsconnectionerror')
  })
})
