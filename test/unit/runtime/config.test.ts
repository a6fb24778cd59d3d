// Configuration: defaults, the precedence file < environment < flags, and the one-line errors that
// name the setting, its flag and its environment variable.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig, SETTING_BINDINGS, type ConfigSources } from '../../../runtime/config.ts'
import { ConfigError } from '../../../runtime/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'pulse-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let fileCount = 0
function configFile(text: string, extension = 'yaml'): string {
  const path = join(dir, `config-${++fileCount}.${extension}`)
  writeFileSync(path, text)
  return path
}

/** The ConfigError loadConfig throws for these sources (fails the test when it does not throw). */
function configError(sources: ConfigSources): ConfigError {
  try {
    loadConfig(sources)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected loadConfig to throw a ConfigError')
}

describe('defaults', () => {
  it('fills every section with no sources at all', () => {
    const config = loadConfig()
    expect(config.source).toBe('kinesis')
    expect(config.kinesis).toEqual({
      region: 'us-east-1',
      streamPrefix: 'pulse',
      shards: 2,
      pollIntervalMs: 250,
      emulatorPort: 4568,
      leaseDurationMs: 10_000,
      leaseRenewIntervalMs: 2000,
      discoveryIntervalMs: 10_000,
      dynamodbPort: 4569,
      fanoutHttp1: false,
      subscriptionRenewMs: 270_000,
    })
    expect(config.kinesis.endpoint).toBeUndefined()
    expect(config.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: 'pulse',
      partitions: 4,
      groupId: 'pulse-processors',
      sessionTimeoutMs: 10_000,
      // PLAINTEXT unless asked: a local broker (npm run kafka:up) has no TLS or SASL.
      sasl: { mechanism: 'none', username: '', password: '' },
      ssl: { enabled: false, rejectUnauthorized: true },
    })
    expect(config.clickhouse).toEqual({
      dataDir: './data',
      database: 'pulse',
      username: 'default',
      password: '',
      batchRows: 50_000,
      flushIntervalMs: 500,
      maxBufferedBytes: 64 << 20,
      dedup: true,
    })
    expect(config.clickhouse.url).toBeUndefined()
    expect(config.producer).toEqual({ clientRate: 1500, flowRate: 300, viewers: 500, seed: 42, wireFormat: 'single-object' })
    expect(config.flowLogs).toEqual({ format: '' })
    expect(config.schemaRegistry).toEqual({ username: '', password: '' })
    expect(config.http).toEqual({ metricsPort: 9464, metricsHost: '127.0.0.1', queryPort: 8124, queryAllowedOrigins: [] })
    expect(config.duration).toBeUndefined()
    expect(config.logLevel).toBe('info')
  })

  it('refuses a flow log format without start/end once, at start-up, and confluent framing without a registry', () => {
    expect(() => loadConfig({ flags: { 'flow-log-format': '${srcaddr} ${dstaddr}' } })).toThrow(/flowLogs.format \(--flow-log-format, PULSE_FLOW_LOG_FORMAT\): the format lacks start and end/)
    expect(() => loadConfig({ flags: { 'wire-format': 'confluent' } })).toThrow(/needs a schema registry/)
    expect(loadConfig({ env: { PULSE_FLOW_LOG_FORMAT: '${start} ${end} ${srcaddr}', PULSE_SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081', PULSE_WIRE_FORMAT: 'confluent' } }).producer.wireFormat).toBe('confluent')
  })

  it('takes a ClickHouse CA file only for an https:// server, where it is used', () => {
    expect(() => loadConfig({ flags: { 'clickhouse-ca-file': '/etc/ca.pem' } })).toThrow(/clickhouse\.caFile \(--clickhouse-ca-file, PULSE_CLICKHOUSE_CA_FILE\): a CA file is for an https:\/\/ ClickHouse URL/)
    expect(() => loadConfig({ flags: { clickhouse: 'http://ch:8123', 'clickhouse-ca-file': '/etc/ca.pem' } })).toThrow(/a CA file is for an https/)
    expect(loadConfig({ env: { PULSE_CLICKHOUSE_URL: 'https://ch:8443', PULSE_CLICKHOUSE_CA_FILE: '/etc/ca.pem' } }).clickhouse.caFile).toBe('/etc/ca.pem')
  })

  it('keeps the defaults of a section that a file only partly sets', () => {
    const config = loadConfig({ file: configFile('kafka:\n  partitions: 12\n') })
    expect(config.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: 'pulse',
      partitions: 12,
      groupId: 'pulse-processors',
      sessionTimeoutMs: 10_000,
      sasl: { mechanism: 'none', username: '', password: '' },
      ssl: { enabled: false, rejectUnauthorized: true },
    })
  })

  it('treats an empty file as no settings', () => {
    expect(loadConfig({ file: configFile('') })).toEqual(loadConfig())
  })

  it('refuses a malformed file in one line that names it and quotes none of its contents', () => {
    for (const text of ['clickhouse:\n  password: "s3cret-pw"\n  batchRows: [\n', '{"clickhouse": {"password": "s3cret-pw", ']) {
      const path = configFile(text)
      let message = ''
      try {
        loadConfig({ file: path })
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError)
        message = (error as Error).message
      }
      expect(message).toMatch(new RegExp(`^config file ${path} is not valid YAML or JSON: .* at line \\d+, column \\d+$`))
      expect(message).not.toContain('s3cret-pw')
      expect(message).not.toContain('\n')
    }
  })
})

describe('precedence', () => {
  const file = (): string => configFile(['kafka:', '  partitions: 3', '  topicPrefix: from-file', 'logLevel: warn', ''].join('\n'))

  it('takes a setting from the file when nothing else sets it', () => {
    const config = loadConfig({ file: file() })
    expect(config.kafka.partitions).toBe(3)
    expect(config.kafka.topicPrefix).toBe('from-file')
    expect(config.logLevel).toBe('warn')
  })

  it('lets the environment override the file, setting by setting', () => {
    const config = loadConfig({ file: file(), env: { PULSE_KAFKA_PARTITIONS: '7' } })
    expect(config.kafka.partitions).toBe(7)
    // The file's other settings in the same section survive the override.
    expect(config.kafka.topicPrefix).toBe('from-file')
  })

  it('takes the fan-out consumer from the file, the environment or a flag, and refuses a renewal AWS would pre-empt', () => {
    expect(loadConfig({ file: configFile('kinesis:\n  consumer: from-file\n  fanoutHttp1: true\n') }).kinesis).toMatchObject({ consumer: 'from-file', fanoutHttp1: true })
    expect(loadConfig({ env: { PULSE_KINESIS_CONSUMER: 'from-env', PULSE_KINESIS_FANOUT_HTTP1: 'true' } }).kinesis).toMatchObject({ consumer: 'from-env', fanoutHttp1: true })
    expect(loadConfig({ flags: { 'kinesis-consumer': 'from-flag', 'kinesis-subscription-renew-ms': '5000' } }).kinesis).toMatchObject({ consumer: 'from-flag', fanoutHttp1: false, subscriptionRenewMs: 5000 })
    expect(configError({ flags: { 'kinesis-subscription-renew-ms': '300000' } }).message).toMatch(/^invalid setting kinesis\.subscriptionRenewMs \(--kinesis-subscription-renew-ms, PULSE_KINESIS_SUBSCRIPTION_RENEW_MS\)/)
    expect(configError({ flags: { 'kinesis-consumer': 'no spaces' } }).message).toMatch(/kinesis\.consumer/)
    expect(configError({ flags: { source: 'kafka', 'kinesis-consumer': 'pulse' } }).message).toMatch(/kinesis\.consumer.*does nothing with --source kafka/)
  })

  it('refuses a lease renewed less than twice per lease duration', () => {
    expect(() => loadConfig({ flags: { 'kinesis-lease-duration-ms': '3000', 'kinesis-lease-renew-interval-ms': '2000' } })).toThrow(/leaseRenewIntervalMs.*at most half/)
  })

  it('lets flags override both', () => {
    const config = loadConfig({ file: file(), env: { PULSE_KAFKA_PARTITIONS: '7', PULSE_LOG_LEVEL: 'debug' }, flags: { partitions: '9' } })
    expect(config.kafka.partitions).toBe(9)
    expect(config.logLevel).toBe('debug')
    expect(config.kafka.topicPrefix).toBe('from-file')
  })

  it('ignores an empty environment variable and an absent flag', () => {
    const config = loadConfig({ file: file(), env: { PULSE_KAFKA_PARTITIONS: '' }, flags: { partitions: undefined } })
    expect(config.kafka.partitions).toBe(3)
  })

  it('reads JSON files too', () => {
    expect(loadConfig({ file: configFile('{"clickhouse": {"batchRows": 5}}', 'json') }).clickhouse.batchRows).toBe(5)
  })

  it('binds every setting to a distinct flag and environment variable', () => {
    const flags = SETTING_BINDINGS.map((binding) => binding.flag)
    const envs = SETTING_BINDINGS.map((binding) => binding.env)
    expect(new Set(flags).size).toBe(flags.length)
    expect(new Set(envs).size).toBe(envs.length)
  })
})

describe('file errors', () => {
  it('names an unknown top-level key', () => {
    const error = configError({ file: configFile('sorce: kafka\n') })
    expect(error.message).toBe('unknown setting sorce')
  })

  it('names an unknown nested key with its section', () => {
    const error = configError({ file: configFile('clickhouse:\n  batchrows: 10\n') })
    expect(error.message).toBe('unknown setting clickhouse.batchrows')
  })

  it('names a value of the wrong type with its flag and environment variable', () => {
    const error = configError({ file: configFile('kinesis:\n  shards: "three"\n') })
    expect(error.message).toMatch(/^invalid setting kinesis\.shards \(--shards, PULSE_KINESIS_SHARDS\): /)
  })

  it('refuses a file that is not a mapping', () => {
    expect(configError({ file: configFile('- a\n- b\n') }).message).toContain('must hold a mapping')
  })

  it('reports a missing file as a ConfigError naming the path', () => {
    const missing = join(dir, 'does-not-exist.yaml')
    expect(configError({ file: missing }).message).toContain(missing)
  })
})

describe('bad flag and environment values', () => {
  // Every such message names both ways to set the value and stays on one line.
  function expectNamed(error: ConfigError, flag: string, env: string): void {
    expect(error.message).toContain(`--${flag}`)
    expect(error.message).toContain(env)
    expect(error.message).not.toContain('\n')
  }

  it('a flag that is not a number, saying the value came from the flag', () => {
    const error = configError({ flags: { shards: 'many' } })
    expectNamed(error, 'shards', 'PULSE_KINESIS_SHARDS')
    expect(error.message).toMatch(/"many" from --shards$/)
  })

  it('an environment variable that is not a number, saying the value came from the environment', () => {
    const error = configError({ env: { PULSE_BATCH_ROWS: '10k' } })
    expectNamed(error, 'batch-rows', 'PULSE_BATCH_ROWS')
    expect(error.message).toMatch(/"10k" from PULSE_BATCH_ROWS$/)
  })

  it('a number outside the schema range', () => {
    expectNamed(configError({ flags: { shards: '0' } }), 'shards', 'PULSE_KINESIS_SHARDS')
    expectNamed(configError({ flags: { 'metrics-port': '70000' } }), 'metrics-port', 'PULSE_METRICS_PORT')
  })

  it('a value outside an enumeration', () => {
    expectNamed(configError({ flags: { source: 'pulsar' } }), 'source', 'PULSE_SOURCE')
  })

  it('a boolean flag given a word that is not a boolean', () => {
    expectNamed(configError({ flags: { dedup: 'maybe' } }), 'dedup', 'PULSE_DEDUP')
  })

  it('a string flag given without a value', () => {
    expectNamed(configError({ flags: { shards: true } }), 'shards', 'PULSE_KINESIS_SHARDS')
  })

  it('a value with a line break still gives a one-line message', () => {
    expectNamed(configError({ env: { PULSE_KINESIS_SHARDS: '2\n3' } }), 'shards', 'PULSE_KINESIS_SHARDS')
  })

  it('a URL that does not parse', () => {
    expectNamed(configError({ flags: { clickhouse: 'not a url' } }), 'clickhouse', 'PULSE_CLICKHOUSE_URL')
  })
})

describe('conversions', () => {
  it('splits a broker list on commas, trimming blanks', () => {
    expect(loadConfig({ flags: { brokers: 'a:1,b:2' } }).kafka.brokers).toEqual(['a:1', 'b:2'])
    expect(loadConfig({ env: { PULSE_KAFKA_BROKERS: ' a:1 , ,b:2,' } }).kafka.brokers).toEqual(['a:1', 'b:2'])
  })

  it('a list with no items fails like any bad value', () => {
    const error = configError({ flags: { brokers: ' , ' } })
    expect(error.message).toContain('--brokers')
    expect(error.message).toContain('PULSE_KAFKA_BROKERS')
  })

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
  ])('reads the boolean word %s as %s', (word, value) => {
    expect(loadConfig({ env: { PULSE_DEDUP: word } }).clickhouse.dedup).toBe(value)
    expect(loadConfig({ flags: { dedup: word } }).clickhouse.dedup).toBe(value)
  })

  it('takes a boolean flag as parsed', () => {
    expect(loadConfig({ flags: { dedup: false } }).clickhouse.dedup).toBe(false)
    expect(loadConfig({ env: { PULSE_DEDUP: 'false' }, flags: { dedup: true } }).clickhouse.dedup).toBe(true)
  })

  it('reads numbers, including fractions where the setting allows them', () => {
    const config = loadConfig({ flags: { 'client-rate': '12.5', duration: '0.5', seed: '-3' } })
    expect(config.producer.clientRate).toBe(12.5)
    expect(config.duration).toBe(0.5)
    expect(config.producer.seed).toBe(-3)
  })

  it('refuses a fraction where the setting needs an integer', () => {
    expect(configError({ flags: { partitions: '1.5' } }).message).toContain('--partitions')
  })

  it('takes AWS_REGION as the Kinesis region', () => {
    expect(loadConfig({ env: { AWS_REGION: 'eu-west-1' } }).kinesis.region).toBe('eu-west-1')
  })
})

describe('the ClickHouse cluster setting', () => {
  it('takes a cluster for a server, from the flag or PULSE_CLICKHOUSE_CLUSTER', () => {
    expect(loadConfig({ flags: { clickhouse: 'http://ch:8123', 'clickhouse-cluster': 'pulse' } }).clickhouse.cluster).toBe('pulse')
    expect(loadConfig({ env: { PULSE_CLICKHOUSE_URL: 'http://ch:8123', PULSE_CLICKHOUSE_CLUSTER: 'pulse' } }).clickhouse.cluster).toBe('pulse')
    expect(loadConfig({ flags: { clickhouse: 'http://ch:8123' } }).clickhouse.cluster).toBeUndefined()
  })

  it('refuses a cluster on the embedded engine, naming the flag', () => {
    expect(() => loadConfig({ flags: { 'clickhouse-cluster': 'pulse' } })).toThrow(/clickhouse\.cluster \(--clickhouse-cluster, PULSE_CLICKHOUSE_CLUSTER\): a cluster layout needs a ClickHouse server/)
  })

  it('refuses a cluster name that is not an identifier', () => {
    expect(() => loadConfig({ flags: { clickhouse: 'http://ch:8123', 'clickhouse-cluster': "x' OR 1" } })).toThrow(ConfigError)
  })
})
