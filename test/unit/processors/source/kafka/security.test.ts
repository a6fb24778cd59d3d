// The Kafka security settings as kafkajs receives them: PLAINTEXT by default, each SASL mechanism under
// kafkajs's name, the password from its file without the trailing newline, the TLS files' contents;
// settings that contradict each other fail at start-up in one line, and a file that cannot be read is
// named without its contents.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig, type ConfigSources } from '../../../../../runtime/config.ts'
import { ConfigError } from '../../../../../runtime/errors.ts'
import { kafkaClientSecurity } from '../../../../../processors/source/kafka/security.ts'

const dir = mkdtempSync(join(tmpdir(), 'pulse-kafka-security-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function security(sources: ConfigSources): ReturnType<typeof kafkaClientSecurity> {
  return kafkaClientSecurity(loadConfig(sources).kafka)
}

describe('Kafka client security options', () => {
  it('is PLAINTEXT (neither ssl nor sasl) by default', () => {
    expect(security({})).toEqual({})
  })

  it('maps each SASL mechanism to kafkajs’s name, with TLS on or off (SASL_SSL, SASL_PLAINTEXT)', () => {
    const base = { 'kafka-sasl-username': 'pulse', 'kafka-sasl-password': 'pw' }
    expect(security({ flags: { ...base, 'kafka-sasl-mechanism': 'PLAIN' } })).toEqual({ sasl: { mechanism: 'plain', username: 'pulse', password: 'pw' } })
    expect(security({ flags: { ...base, 'kafka-sasl-mechanism': 'SCRAM-SHA-256', 'kafka-ssl': true } })).toEqual({
      sasl: { mechanism: 'scram-sha-256', username: 'pulse', password: 'pw' },
      ssl: { rejectUnauthorized: true },
    })
    expect(security({ flags: { ...base, 'kafka-sasl-mechanism': 'SCRAM-SHA-512' } }).sasl).toMatchObject({ mechanism: 'scram-sha-512' })
  })

  it('reads the password file once, without its trailing newline, and refuses an empty one', () => {
    const path = file('password', 's3cret with spaces\n')
    const sources = { env: { PULSE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', PULSE_KAFKA_SASL_USERNAME: 'pulse', PULSE_KAFKA_SASL_PASSWORD_FILE: path } }
    expect(security(sources).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'pulse', password: 's3cret with spaces' })
    const empty = { env: { ...sources.env, PULSE_KAFKA_SASL_PASSWORD_FILE: file('empty', '\n') } }
    expect(() => security(empty)).toThrow(/kafka\.sasl\.passwordFile \(--kafka-sasl-password-file\): .*empty is empty/)
  })

  it('passes the CA, client certificate and key contents, and rejectUnauthorized, to TLS', () => {
    const ca = file('ca.pem', 'CA PEM')
    const cert = file('client.pem', 'CERT PEM')
    const key = file('client.key', 'KEY PEM')
    const config = { file: file('pulse.yaml', `kafka:\n  ssl:\n    enabled: true\n    caFile: ${ca}\n    certFile: ${cert}\n    keyFile: ${key}\n`) }
    expect(security(config)).toEqual({ ssl: { rejectUnauthorized: true, ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' } })
    expect(security({ ...config, flags: { 'kafka-ssl-reject-unauthorized': false } }).ssl).toMatchObject({ rejectUnauthorized: false })
  })

  it('names an unreadable file and its setting, and nothing of a secret', () => {
    const missing = join(dir, 'no-such-key.pem')
    let error: unknown
    try {
      security({ flags: { 'kafka-ssl': true, 'kafka-ssl-cert-file': file('c.pem', 'x'), 'kafka-ssl-key-file': missing } })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toBe(`invalid setting kafka.ssl.keyFile (--kafka-ssl-key-file): cannot read ${missing} (ENOENT)`)
  })
})

describe('contradictory Kafka security settings fail at start-up, naming the setting', () => {
  it.each([
    ['credentials without a mechanism', { 'kafka-sasl-username': 'pulse', 'kafka-sasl-password': 'pw' }, /kafka\.sasl\.mechanism \(--kafka-sasl-mechanism, PULSE_KAFKA_SASL_MECHANISM\): SASL credentials are set but no mechanism/],
    ['a mechanism without a user', { 'kafka-sasl-mechanism': 'PLAIN', 'kafka-sasl-password': 'pw' }, /kafka\.sasl\.username .*: SASL PLAIN needs a user name/],
    ['a mechanism without a password', { 'kafka-sasl-mechanism': 'PLAIN', 'kafka-sasl-username': 'pulse' }, /kafka\.sasl\.password .*needs a password/],
    ['a password and a password file', { 'kafka-sasl-mechanism': 'PLAIN', 'kafka-sasl-username': 'u', 'kafka-sasl-password': 'pw', 'kafka-sasl-password-file': '/run/secrets/pw' }, /kafka\.sasl\.passwordFile .*not both/],
    ['an unknown mechanism', { 'kafka-sasl-mechanism': 'GSSAPI' }, /kafka\.sasl\.mechanism .*PLAIN/],
    ['a CA with TLS off', { 'kafka-ssl-ca-file': '/etc/ca.pem' }, /kafka\.ssl\.enabled \(--kafka-ssl, PULSE_KAFKA_SSL\): kafka\.ssl\.caFile set but TLS is off/],
    ['a client certificate without its key', { 'kafka-ssl': true, 'kafka-ssl-cert-file': '/etc/c.pem' }, /kafka\.ssl\.keyFile .*needs both/],
  ])('%s', (_what, flags, message) => {
    expect(() => loadConfig({ flags })).toThrow(ConfigError)
    expect(() => loadConfig({ flags })).toThrow(message)
  })

  it('never quotes the password in a message', () => {
    expect(() => loadConfig({ flags: { 'kafka-sasl-password': 'hunter2-secret' } })).toThrow(/^(?!.*hunter2-secret)/)
  })
})
