// Starts the real services the integration suite shares, once per run: the Kinesis emulator, dynalite
// (in this process, tables in memory) for the Kinesis lease tables, and one Apache Kafka broker
// (infra/kafka, jars fetched from Maven Central on a machine's first run), all on free ports, the
// broker with a throwaway data dir. Each test file still makes its own streams,
// topics, consumer groups and ClickHouse database, so files never see each other's data.
import { mkdtemp, rm } from 'node:fs/promises'
import { freePorts } from '../../infra/ports.ts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startKinesisEmulator, type KinesisEmulator } from '../../infra/kinesis/emulator.ts'
import { startKafka, type KafkaBroker } from '../../infra/kafka/broker.ts'
import { startDynalite, type DynaliteServer } from '../../infra/dynamodb/dynalite.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    kinesisEndpoint: string
    /** dynalite for the Kinesis lease tables (each test's stream prefix names its own table). */
    dynamodbEndpoint: string
    /** Bootstrap address of the shared Kafka broker, HOST:PORT. */
    kafkaBrokers: string
  }
}

let emulator: KinesisEmulator | undefined
let broker: KafkaBroker | undefined
let dynamo: DynaliteServer | undefined
let kafkaDataDir: string | undefined

export async function setup(project: TestProject): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  const [kinesis, kafka, dynalite] = await Promise.all([startKinesisEmulator({ port: 0 }), startSharedKafka(), startDynalite({ port: 0 })])
  emulator = kinesis
  broker = kafka
  dynamo = dynalite
  project.provide('kinesisEndpoint', kinesis.endpoint)
  project.provide('dynamodbEndpoint', dynalite.endpoint)
  project.provide('kafkaBrokers', kafka.brokers)
}

export async function teardown(): Promise<void> {
  await Promise.all([emulator?.stop(), broker?.stop(), dynamo?.stop()])
  if (kafkaDataDir !== undefined) await rm(kafkaDataDir, { recursive: true, force: true })
}

async function startSharedKafka(): Promise<KafkaBroker> {
  kafkaDataDir = await mkdtemp(join(tmpdir(), 'pulse-test-kafka-'))
  const [port, controllerPort] = await freePorts(2)
  return startKafka({ port, controllerPort, dataDir: kafkaDataDir })
}

