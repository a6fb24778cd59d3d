// What @clickhouse/client is given for a server: the password from --clickhouse-password-file without
// its trailing newline, the CA of --clickhouse-ca-file as its tls.ca_cert; an unreadable file is one
// line naming the setting. (test/integration/clickhouse-https.test.ts runs the CA against a TLS server.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../runtime/config.ts'
import { ConfigError } from '../../../runtime/errors.ts'
import { httpClientConfig } from '../../../sinks/clickhouse/connection.ts'

const dir = mkdtempSync(join(tmpdir(), 'pulse-clickhouse-connection-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('ClickHouse server client settings', () => {
  it('takes the password from its file and the CA into tls.ca_cert', () => {
    const passwordFile = join(dir, 'password')
    const caFile = join(dir, 'ca.pem')
    writeFileSync(passwordFile, 'writer-secret\n')
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n')
    const { clickhouse } = loadConfig({ env: { PULSE_CLICKHOUSE_URL: 'https://ch.example:8443', PULSE_CLICKHOUSE_USER: 'pulse_writer', PULSE_CLICKHOUSE_PASSWORD_FILE: passwordFile, PULSE_CLICKHOUSE_CA_FILE: caFile } })
    const config = httpClientConfig('https://ch.example:8443', clickhouse)
    expect(config).toMatchObject({ url: 'https://ch.example:8443', username: 'pulse_writer', password: 'writer-secret' })
    expect(config.tls?.ca_cert.toString('utf8')).toBe('-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n')
  })

  it('sets no TLS options without a CA file (the system CAs verify the server)', () => {
    expect(httpClientConfig('https://ch.example:8443', { dataDir: '', username: 'default', password: '' }).tls).toBeUndefined()
  })

  it('names an unreadable file and its setting, and refuses a password and a file together', () => {
    const missing = join(dir, 'missing-ca.pem')
    expect(() => httpClientConfig('https://ch.example:8443', { dataDir: '', username: 'default', password: '', caFile: missing })).toThrow(ConfigError)
    expect(() => httpClientConfig('https://ch.example:8443', { dataDir: '', username: 'default', password: '', caFile: missing })).toThrow(`invalid setting clickhouse.caFile (--clickhouse-ca-file): cannot read ${missing} (ENOENT)`)
    expect(() => loadConfig({ flags: { 'clickhouse-password': 'pw', 'clickhouse-password-file': '/run/secrets/pw' } })).toThrow(/clickhouse\.passwordFile \(--clickhouse-password-file, PULSE_CLICKHOUSE_PASSWORD_FILE\): set the ClickHouse password or a password file, not both/)
  })
})
