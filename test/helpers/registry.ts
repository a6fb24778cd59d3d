// A real schema registry for a test: Apicurio Registry (infra/schema-registry, built from Maven
// Central on a machine's first run) on a free loopback port with its own data dir, stopped and its
// dir removed when the test ends. `stop()` and `start()` make a real outage: the process is gone (the
// port refuses connections) and comes back on the same port with the same schema ids.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { onTestFinished } from 'vitest'
import { startSchemaRegistry, type SchemaRegistry } from '../../infra/schema-registry/registry.ts'

export interface TestRegistry {
  /** Base URL of the Confluent-compatible API; unchanged across stop and start. */
  readonly url: string
  stop(): Promise<void>
  start(): Promise<void>
}

export async function startTestRegistry(): Promise<TestRegistry> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pulse-test-registry-'))
  let running: SchemaRegistry | undefined = await startSchemaRegistry({ dataDir })
  const { port, url } = running
  onTestFinished(async () => {
    await running?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  return {
    url,
    stop: async () => {
      await running?.stop()
      running = undefined
    },
    start: async () => {
      running ??= await startSchemaRegistry({ dataDir, port })
    },
  }
}
