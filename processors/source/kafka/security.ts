// kafkajs's `ssl` and `sasl` options, built in one place from Pulse's Kafka security settings so the
// source, the producer transport and every admin client log in the same way. Files (CA, client
// certificate and key, password) are read here once, at start-up: a missing file is one line naming the
// setting, and their contents never enter the configuration that may be logged.
import type { ConnectionOptions } from 'node:tls'
import type { SASLOptions } from 'kafkajs'
import type { KafkaSaslSettings, KafkaSslSettings } from '../../../runtime/kafka-security-config.ts'
import { readSecretFile, readSettingFile as readSetting } from '../../../runtime/setting-file.ts'

export interface KafkaSecuritySettings {
  sasl: KafkaSaslSettings
  ssl: KafkaSslSettings
}

/** What kafkajs takes; both absent means PLAINTEXT. */
export interface KafkaClientSecurity {
  ssl?: ConnectionOptions
  sasl?: SASLOptions
}

export function kafkaClientSecurity(settings: KafkaSecuritySettings): KafkaClientSecurity {
  const ssl = tlsOptions(settings.ssl)
  const sasl = saslOptions(settings.sasl)
  return { ...(ssl === undefined ? {} : { ssl }), ...(sasl === undefined ? {} : { sasl }) }
}

function tlsOptions(ssl: KafkaSslSettings): ConnectionOptions | undefined {
  if (!ssl.enabled) return undefined
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ssl.caFile === undefined ? {} : { ca: readSetting(ssl.caFile, 'kafka.ssl.caFile', 'kafka-ssl-ca-file') }),
    ...(ssl.certFile === undefined ? {} : { cert: readSetting(ssl.certFile, 'kafka.ssl.certFile', 'kafka-ssl-cert-file') }),
    ...(ssl.keyFile === undefined ? {} : { key: readSetting(ssl.keyFile, 'kafka.ssl.keyFile', 'kafka-ssl-key-file') }),
  }
}

function saslOptions(sasl: KafkaSaslSettings): SASLOptions | undefined {
  if (sasl.mechanism === 'none') return undefined
  const password = sasl.passwordFile === undefined ? sasl.password : readSecretFile(sasl.passwordFile, 'kafka.sasl.passwordFile', 'kafka-sasl-password-file')
  const credentials = { username: sasl.username, password }
  if (sasl.mechanism === 'PLAIN') return { mechanism: 'plain', ...credentials }
  if (sasl.mechanism === 'SCRAM-SHA-256') return { mechanism: 'scram-sha-256', ...credentials }
  return { mechanism: 'scram-sha-512', ...credentials }
}
