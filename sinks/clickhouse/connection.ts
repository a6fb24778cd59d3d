// One ClickHouse client for both targets: the embedded engine (chDB, in this process) or a server over
// HTTP(S). The sink and every query go through @clickhouse/client either way, so code tested on the
// embedded engine is the code that talks to a production server.
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client'
import type { ChdbConnection } from 'chdb/connection'
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadChdb } from './chdb-loader.ts'
import { openWhenFree } from './directory-lock.ts'
import { readSecretFile, readSettingFile } from '../../runtime/setting-file.ts'

export interface ClickHouseTarget {
  /** http(s):// URL of a server; unset means the embedded engine in dataDir. */
  url?: string | undefined
  dataDir: string
  username: string
  password: string
  /** File holding the password instead (read when connecting). */
  passwordFile?: string | undefined
  /** PEM file of the CA that signed an https:// server's certificate; unset: the system's CAs. */
  caFile?: string | undefined
  /** Seconds a request may take before the client gives up (HTTP only). */
  requestTimeoutMs?: number
  /** The server's cluster, when migrations should create the cluster layout (migrate.ts). */
  cluster?: string | undefined
}

export interface ClickHouse {
  readonly client: ClickHouseClient
  readonly kind: 'embedded' | 'http'
  /** Where it is, for logs: a data directory or a URL without credentials. */
  readonly location: string
  /** The embedded engine's raw connection, for serving its HTTP interface; undefined over HTTP. */
  readonly embedded: ChdbConnection | undefined
  /** Cluster for the cluster layout; undefined for one server (always, embedded). */
  readonly cluster: string | undefined
  close(): Promise<void>
}

/** Connects, waiting while another process holds the embedded data directory (directory-lock.ts). */
export async function connectWhenFree(target: ClickHouseTarget, waitMs = 20_000): Promise<ClickHouse> {
  if (target.url !== undefined) return connectClickHouse(target)
  return openWhenFree(
    target.dataDir,
    async () => {
      const clickhouse = connectClickHouse(target)
      try {
        await clickhouse.client.query({ query: 'SELECT 1' })
        return clickhouse
      } catch (error) {
        await clickhouse.close().catch(() => undefined)
        throw error
      }
    },
    waitMs,
  )
}

export function connectClickHouse(target: ClickHouseTarget): ClickHouse {
  if (target.url !== undefined) return connectHttp(target.url, target)
  return connectEmbedded(target.dataDir)
}

function connectEmbedded(dataDir: string): ClickHouse {
  const { createChdbConnection } = loadChdb('chdb/connection')
  const path = resolve(dataDir)
  mkdirSync(path, { recursive: true })
  const connection = createChdbConnection({ path })
  // chdb implements the Connection contract of @clickhouse/client-common, which @clickhouse/client
  // bundles as its own copy of the same declarations; the two are identical but nominally distinct.
  const client = createClient({ connection: connection as unknown as NonNullable<ClickHouseClientConfigOptions['connection']> })
  return { client, kind: 'embedded', location: path, embedded: connection, cluster: undefined, close: () => client.close() }
}

function connectHttp(url: string, target: ClickHouseTarget): ClickHouse {
  const client = createClient(httpClientConfig(url, target))
  const shown = new URL(url)
  shown.username = ''
  shown.password = ''
  return { client, kind: 'http', location: shown.toString(), embedded: undefined, cluster: target.cluster, close: () => client.close() }
}

/** The client's settings for a server; exported so a test can see the CA reach them. */
export function httpClientConfig(url: string, target: ClickHouseTarget): ClickHouseClientConfigOptions {
  return {
    url,
    username: target.username,
    password: target.passwordFile === undefined ? target.password : readSecretFile(target.passwordFile, 'clickhouse.passwordFile', 'clickhouse-password-file'),
    request_timeout: target.requestTimeoutMs ?? 30_000,
    // The sink decides about retries (with dedup tokens a retried insert is safe); the client must not
    // hide failures behind its own.
    compression: { request: false, response: true },
    ...(target.caFile === undefined ? {} : { tls: { ca_cert: Buffer.from(readSettingFile(target.caFile, 'clickhouse.caFile', 'clickhouse-ca-file')) } }),
  }
}
