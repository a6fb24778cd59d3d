// Why a first connection to Kafka failed, in one line a person can act on. A refused login or an
// untrusted certificate is a setting to fix, not a broker to start: retrying cannot help, so both are
// ConfigErrors, and a certificate problem is found by one TLS handshake before kafkajs's retries
// (which treat every connection error as transient) would spend twenty seconds on it.
import { connect, type ConnectionOptions } from 'node:tls'
import { isIP } from 'node:net'
import { ConfigError } from '../../../runtime/errors.ts'

/** Node's codes for a server certificate that did not verify (OpenSSL's X509_V_ERR_* and the host check). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const PREFLIGHT_TIMEOUT_MS = 5000

interface ErrorLike {
  name?: unknown
  message?: unknown
  code?: unknown
  cause?: unknown
}

/** The error for a failed first connection to `brokers`. */
export function connectFailure(brokers: readonly string[], error: unknown): Error {
  const chain = causes(error)
  const login = chain.find((entry) => entry.name === 'KafkaJSSASLAuthenticationError')
  if (login !== undefined) {
    return new ConfigError(`Kafka at ${brokers.join(',')} refused the SASL login (${String(login.message)}); check --kafka-sasl-mechanism, --kafka-sasl-username and the password`)
  }
  const certificate = chain.find((entry) => typeof entry.code === 'string' && CERTIFICATE_CODES.has(entry.code))
  if (certificate !== undefined) return certificateFailure(brokers.join(','), certificate)
  const cause = error instanceof Error ? error.message : String(error)
  return new Error(`cannot reach Kafka at ${brokers.join(',')} (${cause}); start a local broker with \`npm run kafka:up\` or pass --brokers`, { cause: error })
}

/**
 * One TLS handshake with the first broker: a certificate that does not verify fails here at once. Any
 * other outcome (refused, timed out, a handshake that works) is left to kafkajs, which retries it.
 */
export async function checkBrokerCertificate(brokers: readonly string[], ssl: ConnectionOptions): Promise<void> {
  const first = brokers[0]
  if (first === undefined) return
  const separator = first.lastIndexOf(':')
  const host = first.slice(0, separator).replace(/^\[|\]$/g, '')
  const port = Number(first.slice(separator + 1))
  const failure = await new Promise<ErrorLike | undefined>((resolve) => {
    // The options kafkajs's own socket factory passes, so the check sees what the client will see.
    const socket = connect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...ssl })
    const done = (result: ErrorLike | undefined): void => {
      socket.destroy()
      resolve(result)
    }
    socket.setTimeout(PREFLIGHT_TIMEOUT_MS, () => done(undefined))
    socket.once('secureConnect', () => done(undefined))
    socket.once('error', (error: ErrorLike) => done(error))
  })
  if (failure !== undefined && typeof failure.code === 'string' && CERTIFICATE_CODES.has(failure.code)) throw certificateFailure(first, failure)
}

function certificateFailure(where: string, error: ErrorLike): ConfigError {
  const message = String(error.message).replace(/^Connection error: /, '')
  return new ConfigError(`TLS to Kafka at ${where} failed: the broker's certificate is not trusted (${message}); pass the CA that signed it with --kafka-ssl-ca-file`)
}

function causes(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = []
  let current: unknown = error
  while (typeof current === 'object' && current !== null && chain.length < 10) {
    const entry = current as ErrorLike
    chain.push(entry)
    current = entry.cause
  }
  return chain
}
