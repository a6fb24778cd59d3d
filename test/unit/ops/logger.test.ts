// Secrets never reach the log: the configuration (with its ClickHouse password) and AWS credentials
// are logged the way components log them, and every line is searched for the secret.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../runtime/config.ts'
import { createLogger } from '../../../runtime/logger.ts'
import { kafkaClientSecurity } from '../../../processors/source/kafka/security.ts'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SECRET = 'correct-horse-battery-staple'

function capture(): { lines: () => Record<string, unknown>[]; destination: Writable } {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { lines, destination }
}

describe('logger redaction', () => {
  it('redacts a password in a logged config object, at every depth a component logs it', () => {
    const { lines, destination } = capture()
    const logger = createLogger({ level: 'info', pretty: false, destination })
    const config = loadConfig({ env: { PULSE_CLICKHOUSE_PASSWORD: SECRET, PULSE_CLICKHOUSE_URL: 'http://clickhouse:8123' } })
    expect(config.clickhouse.password).toBe(SECRET)

    logger.info(config, 'configuration as loaded')
    logger.child({ component: 'sink' }).info({ config }, 'starting with')
    logger.info({ clickhouse: config.clickhouse }, 'connecting')
    logger.warn({ credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: SECRET } }, 'aws')

    const logged = lines()
    expect(logged).toHaveLength(4)
    expect(JSON.stringify(logged)).not.toContain(SECRET)
    const [top, nested, section, aws] = logged as [Record<string, { password?: string }>, { config: { clickhouse: { password: string } } }, { clickhouse: { password: string } }, { credentials: Record<string, string> }]
    expect(top.clickhouse?.password).toBe('[redacted]')
    expect(nested.config.clickhouse.password).toBe('[redacted]')
    expect(section.clickhouse.password).toBe('[redacted]')
    expect(aws.credentials).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: '[redacted]', sessionToken: '[redacted]' })
    // What is not secret stays readable.
    expect(nested.config.clickhouse).toMatchObject({ url: 'http://clickhouse:8123', username: 'default' })
  })

  it('redacts the Kafka SASL password and the TLS private key, in the settings and in the options kafkajs gets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-logger-'))
    try {
      const keyFile = join(dir, 'client.key')
      const KEY = `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`
      writeFileSync(keyFile, KEY)
      writeFileSync(join(dir, 'client.pem'), 'CERT')
      const config = loadConfig({
        env: { PULSE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', PULSE_KAFKA_SASL_USERNAME: 'pulse', PULSE_KAFKA_SASL_PASSWORD: SECRET, PULSE_KAFKA_SSL: 'true', PULSE_KAFKA_SSL_CERT_FILE: join(dir, 'client.pem'), PULSE_KAFKA_SSL_KEY_FILE: keyFile },
      })
      const security = kafkaClientSecurity(config.kafka)
      expect(security.ssl?.key).toBe(KEY)
      const { lines, destination } = capture()
      const logger = createLogger({ level: 'info', pretty: false, destination })
      logger.info(config, 'configuration as loaded')
      logger.child({ component: 'source' }).info({ config }, 'starting with')
      logger.info({ kafka: config.kafka }, 'connecting')
      logger.info(security, 'kafkajs options')
      logger.info({ options: security }, 'kafkajs options, nested')
      logger.info({ client: { kafka: security } }, 'kafkajs options, deeper')
      const logged = lines()
      expect(logged).toHaveLength(6)
      expect(JSON.stringify(logged)).not.toContain(SECRET)
      // The TLS settings that are not secret stay readable.
      expect((logged[2] as { kafka: { ssl: Record<string, unknown> } }).kafka.ssl).toMatchObject({ enabled: true, keyFile, rejectUnauthorized: true })
      expect((logged[3] as { ssl: Record<string, unknown> }).ssl).toMatchObject({ cert: 'CERT', key: '[redacted]' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
