// Kafka over SASL_SSL, as MSK, Confluent Cloud and Aiven serve it, against a real Apache Kafka broker
// this file starts with a SASL_SSL listener and certificates it makes itself. The listener also wants a
// client certificate (mutual TLS), so every client below proves those settings too. Pulse's transport
// produces and Pulse's source (`pulse process` with PLAIN, the in-process role with SCRAM-SHA-512) consumes into
// ClickHouse; a wrong password and a broker certificate from an untrusted CA each end `pulse process`
// within seconds with a non-zero exit and one line saying which.
import { mkdtemp, rm } from 'node:fs/promises'
import { readFileSync, writeFileSync } from 'node:fs'
import { connect as connectTls } from 'node:tls'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKafka, type KafkaBroker } from '../../infra/kafka/broker.ts'
import { freePorts } from '../../infra/ports.ts'
import { loadConfig } from '../../runtime/config.ts'
import { spawnPulseForTest, type RunningPulse } from '../helpers/cli.ts'
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.ts'
import { kafkaPipeline, processArgs, produceClientEvents, serveClickHouse, startKafkaProcessor, type KafkaTestPipeline } from '../helpers/kafka.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

const EVENTS = 300
const PLAIN_USER = { username: 'pulse-plain', password: 'plain-Secret-4f1a' }
const SCRAM_USER = { username: 'pulse-scram', password: 'scram-Secret-9c2e' }
/** A failing `pulse process` must have exited by then (Node and tsx start, ClickHouse migrations, one login). */
const FAIL_WITHIN_MS = 30_000

let certs: TestCertificates
let broker: KafkaBroker
let secureBrokers: string
let kafkaDataDir: string

beforeAll(async () => {
  certs = makeTestCertificates()
  kafkaDataDir = await mkdtemp(join(tmpdir(), 'pulse-test-kafka-sasl-'))
  const [port, controllerPort, securePort] = (await freePorts(3)) as [number, number, number]
  broker = await startKafka({
    port,
    controllerPort,
    dataDir: kafkaDataDir,
    saslSsl: {
      port: securePort,
      keystoreFile: certs.serverKeystoreFile,
      clientCaFile: certs.caFile,
      plainUsers: { [PLAIN_USER.username]: PLAIN_USER.password },
      scramUsers: [{ mechanism: 'SCRAM-SHA-512', ...SCRAM_USER }],
    },
  })
  secureBrokers = `127.0.0.1:${securePort}`
}, 120_000)

afterAll(async () => {
  await broker.stop()
  await rm(kafkaDataDir, { recursive: true, force: true })
  certs.remove()
}, 60_000)

/** A pipeline whose topics Pulse's transport created over SASL_SSL as the PLAIN user. */
function plainPipeline(): Promise<KafkaTestPipeline> {
  return kafkaPipeline({
    kafka: {
      brokers: [secureBrokers],
      sasl: { mechanism: 'PLAIN', ...PLAIN_USER },
      ssl: { enabled: true, caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile, rejectUnauthorized: true },
    },
  })
}

/** `pulse process` on the pipeline's topics over SASL_SSL, with these TLS and SASL flags instead of the pipeline's. */
function secureProcessArgs(pipeline: KafkaTestPipeline, clickhouseUrl: string, security: readonly string[]): string[] {
  return processArgs(pipeline, clickhouseUrl, ['--kafka-ssl', '--kafka-ssl-cert-file', certs.clientCertFile, '--kafka-ssl-key-file', certs.clientKeyFile, ...security])
}

function passwordFile(name: string, password: string): string {
  const path = join(certs.dir, name)
  // As a secret mount writes it: with a trailing newline that is not part of the password.
  writeFileSync(path, `${password}\n`, { mode: 0o600 })
  return path
}

async function exitedWithin(running: RunningPulse, ms: number): Promise<number | null | 'hung'> {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)))
  try {
    return await Promise.race([running.exited, hung])
  } finally {
    clearTimeout(timer)
  }
}

function pulseLines(running: RunningPulse): string[] {
  return running.output().split('\n').filter((line) => line.startsWith('pulse: '))
}

describe('Kafka over SASL_SSL (real broker, certificates made here)', () => {
  it('PLAIN: Pulse’s transport produces and `pulse process` consumes every record into ClickHouse', async () => {
    const pipeline = await plainPipeline()
    await produceClientEvents(pipeline, EVENTS, 7)
    const clickhouse = await serveClickHouse()
    const processing = spawnPulseForTest(
      secureProcessArgs(pipeline, clickhouse.url, [
        '--kafka-ssl-ca-file', certs.caFile,
        '--kafka-sasl-mechanism', 'PLAIN',
        '--kafka-sasl-username', PLAIN_USER.username,
        '--kafka-sasl-password-file', passwordFile('plain-password', PLAIN_USER.password),
      ]),
    )
    const engine = embeddedClickHouse().clickhouse
    const table = `${pipeline.database}.client_events`
    await pollUntil(() => count(engine, `SELECT uniqExact(event_id) FROM ${table}`).catch(() => 0), (n) => n === EVENTS, { what: 'every event over SASL_SSL', timeoutMs: 45_000 })
    processing.child.kill('SIGTERM')
    expect(await exitedWithin(processing, 20_000)).toBe(0)
    expect(processing.output()).not.toContain(PLAIN_USER.password)
  })

  it('SCRAM-SHA-512 from the environment: Pulse’s source reads over SASL_SSL', async () => {
    // The settings as a deployment passes them, through the environment.
    const { kafka } = loadConfig({
      env: {
        PULSE_KAFKA_SSL: 'true',
        PULSE_KAFKA_SSL_CA_FILE: certs.caFile,
        PULSE_KAFKA_SSL_CERT_FILE: certs.clientCertFile,
        PULSE_KAFKA_SSL_KEY_FILE: certs.clientKeyFile,
        PULSE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        PULSE_KAFKA_SASL_USERNAME: SCRAM_USER.username,
        PULSE_KAFKA_SASL_PASSWORD: SCRAM_USER.password,
      },
    })
    const pipeline = await kafkaPipeline({ kafka: { brokers: [secureBrokers], sasl: kafka.sasl, ssl: kafka.ssl } })
    await produceClientEvents(pipeline, EVENTS, 8)
    await startKafkaProcessor(pipeline)
    const engine = embeddedClickHouse().clickhouse
    await pollUntil(() => count(engine, `SELECT uniqExact(event_id) FROM ${pipeline.database}.client_events`).catch(() => 0), (n) => n === EVENTS, { what: 'every event over SCRAM', timeoutMs: 30_000 })
  })

  it('the listener refuses a client without a certificate, so the clients above presented theirs', async () => {
    const [host, port] = secureBrokers.split(':') as [string, string]
    const refused = await new Promise<string>((resolve) => {
      const socket = connectTls({ host, port: Number(port), ca: readFileSync(certs.caFile) })
      socket.setTimeout(10_000, () => socket.destroy(new Error('timed out')))
      // TLS 1.3 finishes the client's handshake first; the broker's alert arrives with the next read.
      socket.once('secureConnect', () => socket.write(Buffer.alloc(4)))
      socket.once('error', (error: Error) => resolve(error.message))
      socket.once('close', () => resolve('closed without an alert'))
    })
    expect(refused).toMatch(/certificate required|alert/i)
  })

  it('a wrong password or an untrusted broker certificate ends `pulse process` non-zero, in one line saying which', async () => {
    const pipeline = await plainPipeline()
    const clickhouse = await serveClickHouse()
    const startedAt = Date.now()
    const wrongPassword = spawnPulseForTest(
      secureProcessArgs(pipeline, clickhouse.url, [
        '--kafka-ssl-ca-file', certs.caFile,
        '--kafka-sasl-mechanism', 'SCRAM-SHA-512',
        '--kafka-sasl-username', SCRAM_USER.username,
        '--kafka-sasl-password-file', passwordFile('wrong-password', 'not-the-password'),
      ]),
    )
    const untrusted = spawnPulseForTest(
      secureProcessArgs(pipeline, clickhouse.url, [
        '--kafka-ssl-ca-file', certs.otherCaFile,
        '--kafka-sasl-mechanism', 'PLAIN',
        '--kafka-sasl-username', PLAIN_USER.username,
        '--kafka-sasl-password-file', passwordFile('plain-password-2', PLAIN_USER.password),
      ]),
    )
    const [wrongCode, untrustedCode] = await Promise.all([exitedWithin(wrongPassword, FAIL_WITHIN_MS), exitedWithin(untrusted, FAIL_WITHIN_MS)])
    expect(Date.now() - startedAt).toBeLessThan(FAIL_WITHIN_MS)
    expect(wrongCode).not.toBe('hung')
    expect(wrongCode).not.toBe(0)
    expect(pulseLines(wrongPassword)).toEqual([expect.stringMatching(new RegExp(`^pulse: Kafka at ${secureBrokers} refused the SASL login \\(.*SCRAM-SHA-512.*\\)`))])
    expect(untrustedCode).not.toBe('hung')
    expect(untrustedCode).not.toBe(0)
    expect(pulseLines(untrusted)).toEqual([expect.stringMatching(new RegExp(`^pulse: TLS to Kafka at ${secureBrokers} failed: the broker's certificate is not trusted`))])
    expect(wrongPassword.output()).not.toContain('not-the-password')
    expect(untrusted.output()).not.toContain(PLAIN_USER.password)
  })
})
