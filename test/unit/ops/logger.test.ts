// Secrets never reach the log: the configuration (with its ClickHouse password) and AWS credentials
// are logged the way components log them, and every line is searched for the secret.
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../runtime/config.ts'
import { createLogger } from '../../../runtime/logger.ts'

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
})
