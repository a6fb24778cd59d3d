// Configuration is parsed once, at start-up, against one schema. Sources, lowest first: defaults,
// an optional YAML/JSON file, PULSE_* environment variables, command-line flags. Unknown keys and bad
// values fail with one line naming the setting, its flag and its environment variable.
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { parseFlowLogFormat } from '../schemas/flow-log/format.ts'
import { ConfigError } from './errors.ts'
import { kafkaSaslSchema, kafkaSslSchema } from './kafka-security-config.ts'

const port = z.number().int().min(0).max(65535)

export const configSchema = z
  .object({
    source: z.enum(['kinesis', 'kafka']).default('kinesis').describe('Which stream carries the records.'),
    kinesis: z
      .object({
        endpoint: z.url().optional().describe('Kinesis endpoint; unset on the embedded default, where Pulse starts an emulator.'),
        region: z.string().min(1).default('us-east-1').describe('AWS region of the streams.'),
        streamPrefix: z.string().min(1).default('pulse').describe('Streams are named PREFIX-client-events, PREFIX-network-flows, PREFIX-ip-assignments.'),
        shards: z.number().int().min(1).max(64).default(2).describe('Shards per stream when Pulse creates it.'),
        pollIntervalMs: z.number().int().min(10).default(250).describe('Wait between GetRecords calls on a shard that returned nothing new.'),
        emulatorPort: port.default(4568).describe('Port of the embedded Kinesis emulator (0 picks a free one).'),
        leaseTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/).optional().describe('DynamoDB table of the shard leases (default PREFIX-leases); processors sharing it share the shards.'),
        leaseDurationMs: z.number().int().min(1000).default(10_000).describe('A lease not renewed for this long is taken over by another processor.'),
        leaseRenewIntervalMs: z.number().int().min(100).default(2000).describe('How often a processor renews its leases and looks for leases to take or steal.'),
        workerId: z.string().min(1).optional().describe('This processor in the lease table (default HOST:PID); unique among the processors of one table.'),
        dynamodbEndpoint: z.url().optional().describe('DynamoDB endpoint of the lease table; unset: AWS, or on the embedded default a dynalite Pulse starts in the data directory.'),
        discoveryIntervalMs: z.number().int().min(100).default(10_000).describe('How often the shard list is read again, to lease the children of split or merged shards.'),
        dynamodbPort: port.default(4569).describe('Port of the embedded dynalite (0 picks a free one).'),
        consumer: z.string().regex(/^[a-zA-Z0-9_.-]{1,128}$/).optional().describe('Read with enhanced fan-out (SubscribeToShard) as this registered stream consumer, registered if missing; unset: polling GetRecords.'),
        fanoutHttp1: z.boolean().default(false).describe('Emulators only: subscribe over HTTP/1.1, which AWS does not serve (kinesis-mock cannot stream over HTTP/2); on by itself on the embedded default.'),
        subscriptionRenewMs: z.number().int().min(1000).max(295_000).default(270_000).describe('A fan-out subscription is renewed after this long, before AWS ends it at 5 minutes.'),
      })
      .strict()
      // A lease renewed less than twice per duration is lost to one slow round trip.
      .refine((kinesis) => kinesis.leaseRenewIntervalMs * 2 <= kinesis.leaseDurationMs, {
        path: ['leaseRenewIntervalMs'],
        message: 'must be at most half of kinesis.leaseDurationMs',
      })
      .prefault({}),
    kafka: z
      .object({
        brokers: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9092']).describe('Bootstrap brokers, HOST:PORT.'),
        topicPrefix: z.string().min(1).default('pulse').describe('Topics are named PREFIX-client-events and so on.'),
        partitions: z.number().int().min(1).default(4).describe('Partitions per topic when Pulse creates it.'),
        groupId: z.string().min(1).default('pulse-processors').describe('Consumer group of `pulse process`.'),
        sessionTimeoutMs: z.number().int().min(1000).max(300_000).default(10_000).describe('A processor silent this long leaves the group and its partitions move to the others.'),
        sasl: kafkaSaslSchema,
        ssl: kafkaSslSchema,
      })
      .strict()
      .prefault({}),
    clickhouse: z
      .object({
        url: z.url().optional().describe('ClickHouse HTTP(S) URL; unset means the embedded engine in dataDir.'),
        dataDir: z.string().min(1).default('./data').describe('Data directory of the embedded ClickHouse engine.'),
        database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('pulse').describe('Database holding the tables.'),
        username: z.string().default('default').describe('ClickHouse user (HTTP only).'),
        password: z.string().default('').describe('ClickHouse password (HTTP only); never logged.'),
        passwordFile: z.string().min(1).optional().describe('File holding the ClickHouse password (one trailing newline is ignored), e.g. a mounted secret.'),
        caFile: z.string().min(1).optional().describe('PEM file of the CA that signed an https:// server\'s certificate (default: the system\'s CAs).'),
        // 50,000, not 20,000: only a partition catching up fills its blocks (a steady one seals on the
        // interval), and there every block is a part of each table to write and later merge; half the
        // inserts in a bench drain, for the same peak RSS (BENCHMARKS.md, "Changes of 2026-12-07, evening").
        batchRows: z.number().int().min(1).default(50_000).describe('A partition seals its buffered rows once this many are pending.'),
        // 500 ms, not 1 s: raw rows' p99 freshness falls from 1.5–1.8 s to 1.0–1.4 s at a steady rate, for
        // about twice the inserts there and a quarter more in a backlog (BENCHMARKS.md, "The seal interval").
        flushIntervalMs: z.number().int().min(50).default(500).describe('...or once its oldest pending row is this old.'),
        maxBufferedBytes: z
          .number()
          .int()
          .min(1 << 20)
          .default(64 << 20)
          .describe('Input bytes whose rows may wait for ClickHouse before the source stops fetching (with 4 × batchRows rows).'),
        dedup: z.boolean().default(true).describe('Send insert deduplication tokens (switch off only to demonstrate duplicates).'),
        cluster: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .optional()
          .describe('ClickHouse cluster (remote_servers) to create replicated, sharded tables on; needs --clickhouse URL.'),
      })
      .strict()
      // The embedded engine is one server: a cluster layout there would fail at the first ON CLUSTER.
      .refine((clickhouse) => clickhouse.cluster === undefined || clickhouse.url !== undefined, {
        path: ['cluster'],
        message: 'a cluster layout needs a ClickHouse server (--clickhouse URL), not the embedded engine',
      })
      .refine((clickhouse) => clickhouse.password === '' || clickhouse.passwordFile === undefined, {
        path: ['passwordFile'],
        message: 'set the ClickHouse password or a password file, not both',
      })
      // A CA for a plain http:// URL or the embedded engine would be silently unused: say so instead.
      .refine((clickhouse) => clickhouse.caFile === undefined || clickhouse.url?.startsWith('https://') === true, {
        path: ['caFile'],
        message: 'a CA file is for an https:// ClickHouse URL (--clickhouse https://...)',
      })
      .prefault({}),
    producer: z
      .object({
        clientRate: z.number().min(0).default(1500).describe('Client events per second generated by `pulse run` / `pulse produce`.'),
        flowRate: z.number().min(0).default(300).describe('Network flow records per second generated.'),
        viewers: z.number().int().min(1).default(500).describe('Simulated viewers.'),
        seed: z.number().int().default(42).describe('Seed of the traffic generators.'),
        wireFormat: z
          .enum(['single-object', 'confluent'])
          .default('single-object')
          .describe("How producers frame Avro: 'single-object' (Avro's own, fingerprint header) or 'confluent' (magic 0 and a schema id from --schema-registry-url)."),
      })
      .strict()
      .prefault({}),
    processing: z
      .object({
        windowSeconds: z.number().int().min(1).max(3600).default(60).describe('Length of the event-time windows of the per-minute tables.'),
        outOfOrdernessMs: z.number().int().min(0).default(5000).describe('Client events: the watermark trails the highest event time seen by this much. Flows keep no windows and need none (README, "Lateness per record kind").'),
        allowedLatenessMs: z.number().int().min(0).default(600_000).describe('Client events this late after their window closed still correct it; later ones are too_late. Flows are never too_late.'),
        dedupHorizonMs: z.number().int().min(0).default(600_000).describe('A repeated event id within this much event time is dropped as a duplicate.'),
        sessionTimeoutMs: z.number().int().min(1000).default(300_000).describe('A playback session with no event for this long (by the watermark) ends.'),
        careRebufferRatio: z.number().min(0).max(1).default(0.05).describe('A session rebuffering more than this share of its time went bad.'),
        enrichHoldBackMs: z.number().int().min(0).default(6000).describe('Flows wait this long after reaching the stream, so IP assignments sent a little after them still attribute them.'),
        idleTimeoutMs: z.number().int().min(0).default(30_000).describe('A partition without events this long lets its watermark follow the clock, so its sessions still time out (0: never).'),
        derived: z.boolean().default(true).describe('Derive aggregates, sessions and care actions; --no-derived writes the raw rows only (to measure what the rest costs).'),
      })
      .strict()
      .prefault({}),
    flowLogs: z
      .object({
        format: z
          .string()
          .default('')
          .describe("Format of flow log lines that come without a header line, in AWS's syntax ('${version} ${vpc-id} ${srcaddr} ...'); empty: the version 2 default format.")
          // Refused once, at start-up, rather than dead-lettering every record for the same reason.
          .superRefine((format, context) => {
            const parsed = format.trim() === '' ? undefined : parseFlowLogFormat(format)
            if (parsed !== undefined && !parsed.ok) context.addIssue({ code: 'custom', message: parsed.reason })
          }),
        stream: z
          .string()
          .min(1)
          .optional()
          .describe('A Kinesis stream or Kafka topic of AWS flow logs (plain lines or CloudWatch Logs subscription records) that processors read besides their own.'),
      })
      .strict()
      .prefault({}),
    schemaRegistry: z
      .object({
        url: z.url().optional().describe("Schema registry with Confluent's REST API (e.g. Apicurio's .../apis/ccompat/v7): processors read Confluent-framed Avro with the writer schemas it holds."),
        username: z.string().default('').describe('Basic-auth user of the schema registry.'),
        password: z.string().default('').describe('Basic-auth password of the schema registry; never logged.'),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        metricsPort: port.default(9464).describe('Port serving /metrics, /healthz and /readyz (0 picks a free one).'),
        metricsHost: z.string().min(1).default('127.0.0.1').describe('Address the /metrics port listens on: loopback on a laptop, 0.0.0.0 in a container so Prometheus can scrape it.'),
        queryPort: port.default(8124).describe('Port where `pulse run` serves the embedded ClickHouse over its HTTP interface (0 picks a free one).'),
        queryAllowedOrigins: z.array(z.url()).default([]).describe('Web origins (scheme://host:port) allowed to send requests to the embedded ClickHouse interface; any other Origin is refused.'),
      })
      .strict()
      .prefault({}),
    collect: z
      .object({
        host: z.string().min(1).default('127.0.0.1').describe('Address `pulse collect` listens on (0.0.0.0 to take traffic from other hosts).'),
        port: port.default(8090).describe('Port of the collector\'s POST /v1/events (0 picks a free one).'),
        keys: z.array(z.string().regex(/^[^=\s]+=[^=\s]+$/, 'expected KEY=APP')).default([]).describe('Write keys as KEY=APP (prefer the environment: flags show in ps).'),
        keysFile: z.string().min(1).optional().describe('File of write keys, one KEY=APP a line (# comments).'),
        allowedOrigins: z.array(z.url()).default([]).describe('Web origins (scheme://host:port) whose pages may send events (CORS).'),
        maxBodyBytes: z.number().int().min(1024).default(1024 * 1024).describe('Largest request body, after gzip is undone; larger is 413.'),
        maxEventBytes: z.number().int().min(256).default(32 * 1024).describe('Largest single event; a request holding a larger one is 413.'),
        eventsPerSecond: z.number().min(1).default(2000).describe('Events per second a write key may send (bursts of twice that); more is 429.'),
        maxInFlightEvents: z.number().int().min(1).default(20_000).describe('Events waiting for the stream at once; more is 503 (the producer buffer is full).'),
        produceTimeoutMs: z.number().int().min(100).default(5000).describe('A batch the stream has not accepted by then is answered 503 (the client retries; event ids dedup).'),
      })
      .strict()
      .prefault({}),
    duration: z.number().positive().optional().describe('Stop after this many seconds (default: run until Ctrl-C).'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('Log level.'),
  })
  .strict()
  // Confluent framing names schemas by registry ids: without a registry there are none to write.
  .refine((config) => config.producer.wireFormat !== 'confluent' || config.schemaRegistry.url !== undefined, {
    path: ['producer', 'wireFormat'],
    message: 'the confluent wire format needs a schema registry (--schema-registry-url)',
  })
  // A consumer name asks for enhanced fan-out; read from Kafka it would be ignored, and the user
  // would believe they had the dedicated throughput they asked for.
  .refine((config) => config.source === 'kinesis' || config.kinesis.consumer === undefined, {
    path: ['kinesis', 'consumer'],
    message: 'enhanced fan-out (--kinesis-consumer) reads Kinesis; it does nothing with --source kafka',
  })

export type Config = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>

/** A setting reachable from the command line and the environment, by its path in the schema. */
export interface SettingBinding {
  path: string
  flag: string
  env: string
  type: 'string' | 'number' | 'boolean' | 'list'
}

export const SETTING_BINDINGS: readonly SettingBinding[] = [
  { path: 'source', flag: 'source', env: 'PULSE_SOURCE', type: 'string' },
  { path: 'kinesis.endpoint', flag: 'kinesis-endpoint', env: 'PULSE_KINESIS_ENDPOINT', type: 'string' },
  { path: 'kinesis.region', flag: 'kinesis-region', env: 'AWS_REGION', type: 'string' },
  { path: 'kinesis.streamPrefix', flag: 'stream-prefix', env: 'PULSE_STREAM_PREFIX', type: 'string' },
  { path: 'kinesis.shards', flag: 'shards', env: 'PULSE_KINESIS_SHARDS', type: 'number' },
  { path: 'kinesis.emulatorPort', flag: 'kinesis-port', env: 'PULSE_KINESIS_PORT', type: 'number' },
  { path: 'kinesis.leaseTable', flag: 'kinesis-lease-table', env: 'PULSE_KINESIS_LEASE_TABLE', type: 'string' },
  { path: 'kinesis.leaseDurationMs', flag: 'kinesis-lease-duration-ms', env: 'PULSE_KINESIS_LEASE_DURATION_MS', type: 'number' },
  { path: 'kinesis.leaseRenewIntervalMs', flag: 'kinesis-lease-renew-interval-ms', env: 'PULSE_KINESIS_LEASE_RENEW_INTERVAL_MS', type: 'number' },
  { path: 'kinesis.workerId', flag: 'kinesis-worker-id', env: 'PULSE_KINESIS_WORKER_ID', type: 'string' },
  { path: 'kinesis.dynamodbEndpoint', flag: 'dynamodb-endpoint', env: 'PULSE_DYNAMODB_ENDPOINT', type: 'string' },
  { path: 'kinesis.discoveryIntervalMs', flag: 'kinesis-discovery-interval-ms', env: 'PULSE_KINESIS_DISCOVERY_INTERVAL_MS', type: 'number' },
  { path: 'kinesis.dynamodbPort', flag: 'dynamodb-port', env: 'PULSE_DYNAMODB_PORT', type: 'number' },
  { path: 'kinesis.consumer', flag: 'kinesis-consumer', env: 'PULSE_KINESIS_CONSUMER', type: 'string' },
  { path: 'kinesis.fanoutHttp1', flag: 'kinesis-fanout-http1', env: 'PULSE_KINESIS_FANOUT_HTTP1', type: 'boolean' },
  { path: 'kinesis.subscriptionRenewMs', flag: 'kinesis-subscription-renew-ms', env: 'PULSE_KINESIS_SUBSCRIPTION_RENEW_MS', type: 'number' },
  { path: 'kafka.brokers', flag: 'brokers', env: 'PULSE_KAFKA_BROKERS', type: 'list' },
  { path: 'kafka.topicPrefix', flag: 'topic-prefix', env: 'PULSE_TOPIC_PREFIX', type: 'string' },
  { path: 'kafka.partitions', flag: 'partitions', env: 'PULSE_KAFKA_PARTITIONS', type: 'number' },
  { path: 'kafka.groupId', flag: 'group', env: 'PULSE_KAFKA_GROUP', type: 'string' },
  { path: 'kafka.sessionTimeoutMs', flag: 'kafka-session-timeout-ms', env: 'PULSE_KAFKA_SESSION_TIMEOUT_MS', type: 'number' },
  { path: 'kafka.sasl.mechanism', flag: 'kafka-sasl-mechanism', env: 'PULSE_KAFKA_SASL_MECHANISM', type: 'string' },
  { path: 'kafka.sasl.username', flag: 'kafka-sasl-username', env: 'PULSE_KAFKA_SASL_USERNAME', type: 'string' },
  { path: 'kafka.sasl.password', flag: 'kafka-sasl-password', env: 'PULSE_KAFKA_SASL_PASSWORD', type: 'string' },
  { path: 'kafka.sasl.passwordFile', flag: 'kafka-sasl-password-file', env: 'PULSE_KAFKA_SASL_PASSWORD_FILE', type: 'string' },
  { path: 'kafka.ssl.enabled', flag: 'kafka-ssl', env: 'PULSE_KAFKA_SSL', type: 'boolean' },
  { path: 'kafka.ssl.caFile', flag: 'kafka-ssl-ca-file', env: 'PULSE_KAFKA_SSL_CA_FILE', type: 'string' },
  { path: 'kafka.ssl.certFile', flag: 'kafka-ssl-cert-file', env: 'PULSE_KAFKA_SSL_CERT_FILE', type: 'string' },
  { path: 'kafka.ssl.keyFile', flag: 'kafka-ssl-key-file', env: 'PULSE_KAFKA_SSL_KEY_FILE', type: 'string' },
  { path: 'kafka.ssl.rejectUnauthorized', flag: 'kafka-ssl-reject-unauthorized', env: 'PULSE_KAFKA_SSL_REJECT_UNAUTHORIZED', type: 'boolean' },
  { path: 'clickhouse.url', flag: 'clickhouse', env: 'PULSE_CLICKHOUSE_URL', type: 'string' },
  { path: 'clickhouse.dataDir', flag: 'data-dir', env: 'PULSE_DATA_DIR', type: 'string' },
  { path: 'clickhouse.database', flag: 'database', env: 'PULSE_DATABASE', type: 'string' },
  { path: 'clickhouse.username', flag: 'clickhouse-user', env: 'PULSE_CLICKHOUSE_USER', type: 'string' },
  { path: 'clickhouse.password', flag: 'clickhouse-password', env: 'PULSE_CLICKHOUSE_PASSWORD', type: 'string' },
  { path: 'clickhouse.passwordFile', flag: 'clickhouse-password-file', env: 'PULSE_CLICKHOUSE_PASSWORD_FILE', type: 'string' },
  { path: 'clickhouse.caFile', flag: 'clickhouse-ca-file', env: 'PULSE_CLICKHOUSE_CA_FILE', type: 'string' },
  { path: 'clickhouse.batchRows', flag: 'batch-rows', env: 'PULSE_BATCH_ROWS', type: 'number' },
  { path: 'clickhouse.maxBufferedBytes', flag: 'max-buffered-bytes', env: 'PULSE_MAX_BUFFERED_BYTES', type: 'number' },
  { path: 'clickhouse.flushIntervalMs', flag: 'flush-interval-ms', env: 'PULSE_FLUSH_INTERVAL_MS', type: 'number' },
  { path: 'clickhouse.dedup', flag: 'dedup', env: 'PULSE_DEDUP', type: 'boolean' },
  { path: 'clickhouse.cluster', flag: 'clickhouse-cluster', env: 'PULSE_CLICKHOUSE_CLUSTER', type: 'string' },
  { path: 'producer.clientRate', flag: 'client-rate', env: 'PULSE_CLIENT_RATE', type: 'number' },
  { path: 'producer.flowRate', flag: 'flow-rate', env: 'PULSE_FLOW_RATE', type: 'number' },
  { path: 'producer.viewers', flag: 'viewers', env: 'PULSE_VIEWERS', type: 'number' },
  { path: 'producer.seed', flag: 'seed', env: 'PULSE_SEED', type: 'number' },
  { path: 'processing.windowSeconds', flag: 'window-seconds', env: 'PULSE_WINDOW_SECONDS', type: 'number' },
  { path: 'processing.outOfOrdernessMs', flag: 'out-of-orderness-ms', env: 'PULSE_OUT_OF_ORDERNESS_MS', type: 'number' },
  { path: 'processing.allowedLatenessMs', flag: 'allowed-lateness-ms', env: 'PULSE_ALLOWED_LATENESS_MS', type: 'number' },
  { path: 'processing.dedupHorizonMs', flag: 'dedup-horizon-ms', env: 'PULSE_DEDUP_HORIZON_MS', type: 'number' },
  { path: 'processing.sessionTimeoutMs', flag: 'session-timeout-ms', env: 'PULSE_SESSION_TIMEOUT_MS', type: 'number' },
  { path: 'processing.careRebufferRatio', flag: 'care-rebuffer-ratio', env: 'PULSE_CARE_REBUFFER_RATIO', type: 'number' },
  { path: 'processing.enrichHoldBackMs', flag: 'enrich-hold-back-ms', env: 'PULSE_ENRICH_HOLD_BACK_MS', type: 'number' },
  { path: 'processing.idleTimeoutMs', flag: 'idle-timeout-ms', env: 'PULSE_IDLE_TIMEOUT_MS', type: 'number' },
  { path: 'processing.derived', flag: 'derived', env: 'PULSE_DERIVED', type: 'boolean' },
  { path: 'flowLogs.format', flag: 'flow-log-format', env: 'PULSE_FLOW_LOG_FORMAT', type: 'string' },
  { path: 'flowLogs.stream', flag: 'flow-log-stream', env: 'PULSE_FLOW_LOG_STREAM', type: 'string' },
  { path: 'producer.wireFormat', flag: 'wire-format', env: 'PULSE_WIRE_FORMAT', type: 'string' },
  { path: 'schemaRegistry.url', flag: 'schema-registry-url', env: 'PULSE_SCHEMA_REGISTRY_URL', type: 'string' },
  { path: 'schemaRegistry.username', flag: 'schema-registry-user', env: 'PULSE_SCHEMA_REGISTRY_USER', type: 'string' },
  { path: 'schemaRegistry.password', flag: 'schema-registry-password', env: 'PULSE_SCHEMA_REGISTRY_PASSWORD', type: 'string' },
  { path: 'http.metricsPort', flag: 'metrics-port', env: 'PULSE_METRICS_PORT', type: 'number' },
  { path: 'http.metricsHost', flag: 'metrics-host', env: 'PULSE_METRICS_HOST', type: 'string' },
  { path: 'http.queryPort', flag: 'query-port', env: 'PULSE_QUERY_PORT', type: 'number' },
  { path: 'http.queryAllowedOrigins', flag: 'query-allowed-origins', env: 'PULSE_QUERY_ALLOWED_ORIGINS', type: 'list' },
  { path: 'collect.host', flag: 'collect-host', env: 'PULSE_COLLECT_HOST', type: 'string' },
  { path: 'collect.port', flag: 'collect-port', env: 'PULSE_COLLECT_PORT', type: 'number' },
  { path: 'collect.keys', flag: 'collect-keys', env: 'PULSE_COLLECT_KEYS', type: 'list' },
  { path: 'collect.keysFile', flag: 'collect-keys-file', env: 'PULSE_COLLECT_KEYS_FILE', type: 'string' },
  { path: 'collect.allowedOrigins', flag: 'collect-allowed-origins', env: 'PULSE_COLLECT_ALLOWED_ORIGINS', type: 'list' },
  { path: 'collect.maxBodyBytes', flag: 'collect-max-body-bytes', env: 'PULSE_COLLECT_MAX_BODY_BYTES', type: 'number' },
  { path: 'collect.maxEventBytes', flag: 'collect-max-event-bytes', env: 'PULSE_COLLECT_MAX_EVENT_BYTES', type: 'number' },
  { path: 'collect.eventsPerSecond', flag: 'collect-events-per-second', env: 'PULSE_COLLECT_EVENTS_PER_SECOND', type: 'number' },
  { path: 'collect.maxInFlightEvents', flag: 'collect-max-in-flight', env: 'PULSE_COLLECT_MAX_IN_FLIGHT', type: 'number' },
  { path: 'collect.produceTimeoutMs', flag: 'collect-produce-timeout-ms', env: 'PULSE_COLLECT_PRODUCE_TIMEOUT_MS', type: 'number' },
  { path: 'duration', flag: 'duration', env: 'PULSE_DURATION', type: 'number' },
  { path: 'logLevel', flag: 'log-level', env: 'PULSE_LOG_LEVEL', type: 'string' },
]

export interface ConfigSources {
  /** Flag values by flag name (without dashes), as strings or booleans from the argument parser. */
  flags?: Readonly<Record<string, string | boolean | undefined>>
  env?: Readonly<Record<string, string | undefined>>
  /** Path of a YAML or JSON file with the same shape as the schema. */
  file?: string
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const merged: Record<string, unknown> = sources.file === undefined ? {} : readConfigFile(sources.file)
  for (const binding of SETTING_BINDINGS) {
    const fromEnv = sources.env?.[binding.env]
    if (fromEnv !== undefined && fromEnv !== '') setPath(merged, binding.path, convert(binding, fromEnv, 'env'))
  }
  for (const binding of SETTING_BINDINGS) {
    const fromFlag = sources.flags?.[binding.flag]
    if (fromFlag !== undefined) setPath(merged, binding.path, convert(binding, fromFlag, 'flag'))
  }
  const parsed = configSchema.safeParse(merged)
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error.issues[0]))
  return parsed.data
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`)
  }
  let value: unknown
  try {
    value = parseYaml(text)
  } catch (error) {
    // The parser's message goes on to quote the offending lines, which may hold a password: only its
    // first line (what is wrong, and where) is shown.
    const what = ((error as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '')
    throw new ConfigError(`config file ${path} is not valid YAML or JSON: ${what}`)
  }
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`config file ${path} must hold a mapping of settings`)
  return value as Record<string, unknown>
}

function convert(binding: SettingBinding, raw: string | boolean, origin: 'env' | 'flag'): unknown {
  // Name the setting, both ways to set it and the one this value came from; JSON quoting keeps the
  // message on one line whatever the value holds.
  const where = `invalid setting ${binding.path} (--${binding.flag}, ${binding.env})`
  const from = origin === 'env' ? binding.env : `--${binding.flag}`
  if (binding.type === 'boolean') {
    if (typeof raw === 'boolean') return raw
    if (/^(1|true|yes|on)$/i.test(raw)) return true
    if (/^(0|false|no|off)$/i.test(raw)) return false
    throw new ConfigError(`${where}: expected true or false, got ${JSON.stringify(raw)} from ${from}`)
  }
  if (typeof raw === 'boolean') throw new ConfigError(`${where}: ${from} needs a value`)
  if (binding.type === 'number') {
    const value = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`${where}: expected a number, got ${JSON.stringify(raw)} from ${from}`)
    return value
  }
  if (binding.type === 'list') return raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
  return raw
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.')
  let node = target
  for (const key of keys.slice(0, -1)) {
    const child = node[key]
    if (typeof child !== 'object' || child === null) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys[keys.length - 1] ?? path] = value
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return 'invalid configuration'
  const path = issue.path.map(String).join('.')
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => (path === '' ? key : `${path}.${key}`))
    return `unknown setting ${keys.join(', ')}`
  }
  const binding = SETTING_BINDINGS.find((candidate) => candidate.path === path)
  const where = binding === undefined ? '' : ` (--${binding.flag}, ${binding.env})`
  return `invalid setting ${path === '' ? '(root)' : path}${where}: ${issue.message}`
}
