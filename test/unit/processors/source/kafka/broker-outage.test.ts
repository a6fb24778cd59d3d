import { describe, expect, it } from 'vitest'
import { isBrokerOutage } from '../../../../../processors/source/kafka/broker-outage.ts'

function kafkaError(name: string, cause?: unknown): Error {
  const error = new Error(name, cause === undefined ? undefined : { cause })
  error.name = name
  return error
}

describe('isBrokerOutage', () => {
  it('is true for the crashes a broker restart causes, found anywhere in the cause chain', () => {
    expect(isBrokerOutage(kafkaError('KafkaJSGroupCoordinatorNotFound'))).toBe(true)
    expect(isBrokerOutage(kafkaError('KafkaJSNonRetriableError', kafkaError('KafkaJSNumberOfRetriesExceeded', kafkaError('KafkaJSConnectionError'))))).toBe(true)
  })

  it('is false for a pipeline failure, a refused login or a fence', () => {
    expect(isBrokerOutage(new Error('ClickHouse insert failed'))).toBe(false)
    expect(isBrokerOutage(kafkaError('KafkaJSSASLAuthenticationError'))).toBe(false)
    expect(isBrokerOutage(kafkaError('PartitionFencedError'))).toBe(false)
    expect(isBrokerOutage(undefined)).toBe(false)
  })
})
