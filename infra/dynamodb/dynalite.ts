// Starts dynalite (the DynamoDB API on LevelDB, npm `dynalite`) in this process, on loopback, for the
// Kinesis lease table of the embedded default and the tests. On AWS the lease table lives in DynamoDB.
import { mkdirSync } from 'node:fs'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'

/** The part of dynalite's untyped API Pulse uses: a factory of an http.Server. */
type Dynalite = (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite

export interface DynaliteOptions {
  /** 0 picks a free port. */
  port: number
  /** Keep the tables here across restarts; omitted keeps them in memory. */
  persistDir?: string | undefined
}

export interface DynaliteServer {
  endpoint: string
  port: number
  stop(): Promise<void>
}

export async function startDynalite(options: DynaliteOptions): Promise<DynaliteServer> {
  let path: string | undefined
  if (options.persistDir !== undefined) {
    path = resolve(options.persistDir)
    mkdirSync(path, { recursive: true })
  }
  // Tables are usable at once: Pulse creates its lease table on start and should not wait for it.
  const server = dynalite({ ...(path === undefined ? {} : { path }), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(options.port, '127.0.0.1', () => done())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}
