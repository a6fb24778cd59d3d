// The development broker's server.properties with and without the SASL_SSL listener: without it nothing
// changes for the brokers every other test uses; with it the listener, its PEM keystore, the JAAS lines
// (PLAIN users quoted so any password survives) and the SCRAM users for `format --add-scram`.
import { describe, expect, it } from 'vitest'
import { renderServerProperties } from '../../../infra/kafka/config.ts'
import { scramFormatArgs } from '../../../infra/kafka/sasl-ssl.ts'

const base = { host: '127.0.0.1', port: 9092, controllerPort: 9093, numPartitions: 4, logDirs: '/tmp/kraft' }

function properties(text: string): Map<string, string> {
  return new Map(text.split('\n').filter((line) => line.includes('=') && !line.startsWith('#')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
}

describe('SASL_SSL listener of the development broker', () => {
  it('adds nothing when not asked for', () => {
    const plain = properties(renderServerProperties(base))
    expect(plain.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093')
    expect([...plain.keys()].filter((key) => key.includes('sasl') || key.includes('ssl'))).toEqual([])
  })

  it('adds the listener, its keystore, client-certificate check and JAAS logins', () => {
    const secure = properties(
      renderServerProperties({ ...base, saslSsl: { port: 9094, keystoreFile: '/certs/server.pem', clientCaFile: '/certs/ca.pem', plainUsers: { alice: 'pa"ss\\word' } } }),
    )
    expect(secure.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094')
    expect(secure.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094')
    expect(secure.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL')
    // Inter-broker traffic and the readiness probe stay on PLAINTEXT.
    expect(secure.get('inter.broker.listener.name')).toBe('PLAINTEXT')
    expect(secure.get('listener.name.sasl_ssl.ssl.keystore.type')).toBe('PEM')
    expect(secure.get('listener.name.sasl_ssl.ssl.client.auth')).toBe('required')
    // Properties files escape a backslash once more; the JAAS value itself escapes the quote and the backslash.
    expect(secure.get('listener.name.sasl_ssl.plain.sasl.jaas.config')).toBe('org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="pa\\\\"ss\\\\\\\\word";')
  })

  it('creates SCRAM users at format time, refusing what the format tool cannot parse', () => {
    const listener = { port: 9094, keystoreFile: '/k.pem', scramUsers: [{ mechanism: 'SCRAM-SHA-512' as const, username: 'bob', password: 'b0b-secret' }] }
    expect(scramFormatArgs(listener)).toEqual(['--add-scram', 'SCRAM-SHA-512=[name="bob",password="b0b-secret"]'])
    expect(scramFormatArgs(undefined)).toEqual([])
    expect(() => scramFormatArgs({ ...listener, scramUsers: [{ mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'a,b' }] })).toThrow(/must not hold/)
  })
})
