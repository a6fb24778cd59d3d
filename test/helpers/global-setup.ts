// Starts the real services the integration suite shares, once per run: the Kinesis emulator (always)
// and the Kafka broker (when a suite needs it, see kafka.ts). Each test file still makes its own
// streams, topics and ClickHouse database, so files never see each other's data.
import type { TestProject } from 'vitest/node'
import { startKinesisEmulator, type KinesisEmulator } from '../../infra/kinesis/emulator.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    kinesisEndpoint: string
  }
}

let emulator: KinesisEmulator | undefined

export async function setup(project: TestProject): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
  emulator = await startKinesisEmulator({ port: 0 })
  project.provide('kinesisEndpoint', emulator.endpoint)
}

export async function teardown(): Promise<void> {
  await emulator?.stop()
}
