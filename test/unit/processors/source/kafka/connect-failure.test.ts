// What a failed first connection to Kafka says, on kafkajs's own error classes as its retrier hands
// them over: a refused SASL login and an untrusted certificate are settings to fix (ConfigError, one
// line naming which); anything else is the broker to start or the address to correct.
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSSASLAuthenticationError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { connectFailure } from '../../../../../processors/source/kafka/connect-failure.ts'
import { ConfigError } from '../../../../../runtime/errors.ts'

const BROKERS = ['b-1.example:9096', 'b-2.example:9096']

describe('Kafka connection failures', () => {
  it('names a refused SASL login, also when kafkajs’s retrier wrapped it', () => {
    const refused = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)('SASL SCRAM SHA512 authentication failed: invalid credentials')
    for (const error of [refused, Object.assign(new KafkaJSNonRetriableError(refused), { cause: refused })]) {
      const failure = connectFailure(BROKERS, error)
      expect(failure).toBeInstanceOf(ConfigError)
      expect(failure.message).toBe('Kafka at b-1.example:9096,b-2.example:9096 refused the SASL login (SASL SCRAM SHA512 authentication failed: invalid credentials); check --kafka-sasl-mechanism, --kafka-sasl-username and the password')
    }
  })

  it('names an untrusted broker certificate after the retries ran out', () => {
    const untrusted = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', { broker: 'b-1.example:9096', code: 'SELF_SIGNED_CERT_IN_CHAIN' })
    const failure = connectFailure(BROKERS, new KafkaJSNumberOfRetriesExceeded(untrusted, { retryCount: 8, retryTime: 5000, cause: untrusted } as never))
    expect(failure).toBeInstanceOf(ConfigError)
    expect(failure.message).toMatch(/^TLS to Kafka at b-1\.example:9096,b-2\.example:9096 failed: the broker's certificate is not trusted \(self-signed certificate in certificate chain\); pass the CA/)
  })

  it('sends anything else to the broker or the address, keeping the cause', () => {
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')
    const failure = connectFailure(['127.0.0.1:9092'], refused)
    expect(failure).not.toBeInstanceOf(ConfigError)
    expect(failure.message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:9092 \(Connection error: connect ECONNREFUSED.*\); start a local broker/)
    expect(failure.cause).toBe(refused)
  })
})
