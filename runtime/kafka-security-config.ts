// The Kafka security settings (what Kafka's Java clients call security.protocol, sasl.* and ssl.*), kept
// apart from config.ts so the main schema stays readable. Only file paths live here: the files (CA,
// certificate, key, password) are read once when the client is built (processors/source/kafka/security.ts).
import { z } from 'zod'

/** Kafka's own spelling of the mechanisms, as MSK, Confluent Cloud and Aiven document them. */
export const SASL_MECHANISMS = ['none', 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

export const kafkaSaslSchema = z
  .object({
    mechanism: z.enum(SASL_MECHANISMS).default('none').describe('SASL mechanism for the brokers; none: no SASL login (with TLS on, the SSL protocol; off, PLAINTEXT).'),
    username: z.string().default('').describe('SASL user name.'),
    password: z.string().default('').describe('SASL password; never logged (prefer --kafka-sasl-password-file or the environment: flags show in ps).'),
    passwordFile: z.string().min(1).optional().describe('File holding the SASL password (one trailing newline is ignored), e.g. a mounted secret.'),
  })
  .strict()
  // Credentials without a mechanism would be silently unused, a mechanism without them fails only at the broker.
  .superRefine((sasl, context) => {
    const hasPassword = sasl.password !== '' || sasl.passwordFile !== undefined
    if (sasl.mechanism === 'none') {
      if (sasl.username !== '' || hasPassword) context.addIssue({ code: 'custom', path: ['mechanism'], message: 'SASL credentials are set but no mechanism: pass --kafka-sasl-mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512' })
      return
    }
    if (sasl.username === '') context.addIssue({ code: 'custom', path: ['username'], message: `SASL ${sasl.mechanism} needs a user name` })
    if (!hasPassword) context.addIssue({ code: 'custom', path: ['password'], message: `SASL ${sasl.mechanism} needs a password (--kafka-sasl-password-file, or PULSE_KAFKA_SASL_PASSWORD)` })
    if (sasl.password !== '' && sasl.passwordFile !== undefined) context.addIssue({ code: 'custom', path: ['passwordFile'], message: 'set the SASL password or a password file, not both' })
  })
  .prefault({})

export const kafkaSslSchema = z
  .object({
    enabled: z.boolean().default(false).describe('TLS to the brokers (security.protocol SSL or SASL_SSL).'),
    caFile: z.string().min(1).optional().describe("PEM file of the CA(s) that signed the brokers' certificates (default: the system's CAs)."),
    certFile: z.string().min(1).optional().describe('PEM client certificate, for brokers that authenticate clients by certificate (mutual TLS).'),
    keyFile: z.string().min(1).optional().describe("PEM private key of the client certificate; never logged."),
    rejectUnauthorized: z.boolean().default(true).describe("Refuse brokers whose certificate does not verify (--no-kafka-ssl-reject-unauthorized only for a test broker)."),
  })
  .strict()
  .superRefine((ssl, context) => {
    // A CA or certificate with TLS off would be silently unused: the connection would go out in the clear.
    const files = (['caFile', 'certFile', 'keyFile'] as const).filter((key) => ssl[key] !== undefined)
    if (!ssl.enabled && files.length > 0) context.addIssue({ code: 'custom', path: ['enabled'], message: `${files.map((key) => `kafka.ssl.${key}`).join(', ')} set but TLS is off: pass --kafka-ssl` })
    if ((ssl.certFile === undefined) !== (ssl.keyFile === undefined)) context.addIssue({ code: 'custom', path: [ssl.certFile === undefined ? 'certFile' : 'keyFile'], message: 'a client certificate needs both --kafka-ssl-cert-file and --kafka-ssl-key-file' })
  })
  .prefault({})

export type KafkaSaslSettings = z.infer<typeof kafkaSaslSchema>
export type KafkaSslSettings = z.infer<typeof kafkaSslSchema>
