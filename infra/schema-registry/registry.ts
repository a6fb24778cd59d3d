// Starts the Apicurio Registry built by build.ts on a loopback port and waits until it is ready, for
// tests and local runs: its storage is an H2 database in a file under `dataDir`, so a registry stopped
// and started again on the same dir (an outage, for real) still knows every schema id it handed out.
// Clients talk to `url`, its Confluent-compatible API.
import path from 'node:path'
import { freePort } from '../ports.ts'
import { ensureSchemaRegistry, type RegistryBuildOptions } from './build.ts'
import { spawnRegistry } from './jvm.ts'

export interface SchemaRegistryOptions extends RegistryBuildOptions {
  /** Holds the registry's H2 database and its log. */
  dataDir: string
  /** Loopback port; a free one when unset or 0. */
  port?: number | undefined
  /** How long to wait for readiness (default 120 s: a JVM on two busy shared cores can be slow). */
  readyTimeoutMs?: number | undefined
}

export interface SchemaRegistry {
  /** Base URL of the Confluent-compatible API (`…/apis/ccompat/v7`), as Pulse and Confluent clients take it. */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  readonly logFile: string
  /** SIGTERM (SIGKILL after a grace period); the data dir stays for a later start. */
  stop(): Promise<void>
}

export async function startSchemaRegistry(options: SchemaRegistryOptions): Promise<SchemaRegistry> {
  const { runner, archive } = await ensureSchemaRegistry(options)
  const port = options.port === undefined || options.port === 0 ? await freePort() : options.port
  const dataDir = path.resolve(options.dataDir)
  const registry = await spawnRegistry({ runner, port, dataDir, javaCommand: options.javaCommand ?? 'java', archive, readyTimeoutMs: options.readyTimeoutMs ?? 120_000 })
  return { url: `${registry.base}/apis/ccompat/v7`, port, dataDir, logFile: registry.logFile, stop: () => registry.stop() }
}
