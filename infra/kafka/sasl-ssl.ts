// An extra SASL_SSL listener on the development broker, the way MSK, Confluent Cloud and Aiven expose
// theirs: TLS with a PEM keystore (Kafka 4.x reads PEM directly, no JKS conversion), PLAIN users from the
// JAAS line, SCRAM users written into the KRaft storage when it is formatted (`format --add-scram`; in
// KRaft there is no ZooKeeper to hold them and the broker cannot create them before it runs).
// The PLAINTEXT listener stays: the broker's readiness probe and inter-broker traffic use it.

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512'

export interface SaslSslListener {
  readonly port: number
  /** PEM file: the broker's private key (unencrypted PKCS#8) followed by its certificate chain. */
  readonly keystoreFile: string
  /** PLAIN logins, user name to password. */
  readonly plainUsers?: Readonly<Record<string, string>>
  /** PEM CA that client certificates must be signed by: set, every client must present one (mutual TLS). */
  readonly clientCaFile?: string
  /** SCRAM credentials, stored in the cluster metadata at format time. */
  readonly scramUsers?: readonly { mechanism: ScramMechanism; username: string; password: string }[]
}

const LISTENER = 'SASL_SSL'
/** Kafka lower-cases listener names in its per-listener property prefix. */
const PREFIX = `listener.name.${LISTENER.toLowerCase()}`

export function saslSslListener(host: string, listener: SaslSslListener): string {
  return `${LISTENER}://${host}:${listener.port}`
}

/** server.properties entries for the listener (the listener itself goes into `listeners` by the caller). */
export function saslSslProperties(listener: SaslSslListener): [string, string][] {
  const plain = Object.entries(listener.plainUsers ?? {}).map(([user, password]) => `user_${user}=${jaasQuote(password)}`)
  return [
    ['sasl.enabled.mechanisms', 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512'],
    [`${PREFIX}.plain.sasl.jaas.config`, `org.apache.kafka.common.security.plain.PlainLoginModule required ${plain.join(' ')};`],
    [`${PREFIX}.scram-sha-256.sasl.jaas.config`, 'org.apache.kafka.common.security.scram.ScramLoginModule required;'],
    [`${PREFIX}.scram-sha-512.sasl.jaas.config`, 'org.apache.kafka.common.security.scram.ScramLoginModule required;'],
    [`${PREFIX}.ssl.keystore.type`, 'PEM'],
    [`${PREFIX}.ssl.keystore.location`, listener.keystoreFile],
    ...(listener.clientCaFile === undefined
      ? []
      : ([
          [`${PREFIX}.ssl.client.auth`, 'required'],
          [`${PREFIX}.ssl.truststore.type`, 'PEM'],
          [`${PREFIX}.ssl.truststore.location`, listener.clientCaFile],
        ] as [string, string][])),
  ]
}

/** `kafka-storage format` arguments that create the SCRAM users with the storage. */
export function scramFormatArgs(listener: SaslSslListener | undefined): string[] {
  return (listener?.scramUsers ?? []).flatMap(({ mechanism, username, password }) => ['--add-scram', `${mechanism}=[name=${scramQuote(username)},password=${scramQuote(password)}]`])
}

function jaasQuote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** The format tool parses `[key=value,...]` and takes a double-quoted value verbatim. */
function scramQuote(value: string): string {
  if (/[",=\]]/.test(value)) throw new Error('SCRAM test user names and passwords must not hold " , = or ]')
  return `"${value}"`
}
