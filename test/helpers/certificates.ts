// Throwaway certificates for TLS tests, made with the openssl command (Node's crypto can make keys but
// not sign X.509 certificates): a CA, a server certificate it signs for 127.0.0.1 and localhost, a
// client certificate it signs, and a second, unrelated CA that a client can be told to trust so it
// must refuse the server.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificates {
  readonly dir: string
  /** PEM certificate of the CA that signed the server's certificate. */
  readonly caFile: string
  /** PEM certificate of a CA that signed nothing here. */
  readonly otherCaFile: string
  /** The server's unencrypted PKCS#8 key and certificate, in separate files (node:tls) ... */
  readonly serverKeyFile: string
  readonly serverCertFile: string
  /** ... and in one file, key first (Kafka's PEM keystore). */
  readonly serverKeystoreFile: string
  /** A client certificate the CA signed, and its key (mutual TLS). */
  readonly clientCertFile: string
  readonly clientKeyFile: string
  remove(): void
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ])
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-test-tls-'))
  makeCa(dir, 'ca')
  makeCa(dir, 'other-ca')
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'])
  // Clients check the address they dialled against the subjectAltName, not the CN.
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'server.ext', '-out', 'server.pem'])
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=pulse-client', '-keyout', 'client.key', '-out', 'client.csr'])
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', 'client.ext', '-out', 'client.pem'])
  const keystore = join(dir, 'server-keystore.pem')
  writeFileSync(keystore, readFileSync(join(dir, 'server.key'), 'utf8') + readFileSync(join(dir, 'server.pem'), 'utf8'))
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    serverKeyFile: join(dir, 'server.key'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeystoreFile: keystore,
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
