// ClickHouse over HTTPS with a CA of the deployment's own (--clickhouse-ca-file): this file's engine,
// served over its HTTP interface, behind a TLS listener whose certificate a CA made here signed. The
// client trusts that CA and queries; told to trust another CA, it refuses the server.
import { connect as connectTcp } from 'node:net'
import { createServer, type Server } from 'node:tls'
import { readFileSync } from 'node:fs'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { connectClickHouse } from '../../sinks/clickhouse/connection.ts'
import { pulse } from '../helpers/cli.ts'
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.ts'
import { serveClickHouse } from '../helpers/kafka.ts'

let certs: TestCertificates
beforeAll(() => {
  certs = makeTestCertificates()
})
afterAll(() => certs.remove())

/** A TLS listener that passes each connection's bytes to the plain HTTP port. */
async function tlsInFrontOf(port: number): Promise<{ url: string }> {
  const server: Server = createServer({ key: readFileSync(certs.serverKeyFile), cert: readFileSync(certs.serverCertFile) }, (socket) => {
    const upstream = connectTcp(port, '127.0.0.1')
    socket.pipe(upstream).pipe(socket)
    socket.on('error', () => upstream.destroy())
    upstream.on('error', () => socket.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { url: `https://127.0.0.1:${address.port}` }
}

describe('ClickHouse over HTTPS with a CA file', () => {
  it('queries a server whose certificate the CA signed, and refuses one it did not', async () => {
    const https = await tlsInFrontOf((await serveClickHouse()).port)
    const trusted = connectClickHouse({ url: https.url, dataDir: '', username: 'default', password: '', caFile: certs.caFile })
    onTestFinished(() => trusted.close())
    const result = await trusted.client.query({ query: 'SELECT 41 + 1 AS answer', format: 'JSONEachRow' })
    expect(await result.json()).toEqual([{ answer: 42 }])

    const untrusted = connectClickHouse({ url: https.url, dataDir: '', username: 'default', password: '', caFile: certs.otherCaFile })
    onTestFinished(() => untrusted.close())
    await expect(untrusted.client.query({ query: 'SELECT 1' })).rejects.toThrow(/certificate/)
  })

  it('takes the CA from --clickhouse-ca-file on the command line', async () => {
    const https = await tlsInFrontOf((await serveClickHouse()).port)
    const { stdout } = await pulse(['query', '--clickhouse', https.url, '--clickhouse-ca-file', certs.caFile, '--format', 'TSV', 'SELECT 6 * 7'])
    expect(stdout.trim()).toBe('42')
  })
})
