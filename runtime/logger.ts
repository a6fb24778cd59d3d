// The process-wide logger: JSON lines for machines, pretty only when a person watches a terminal.
// Secrets are redacted by key name wherever they appear, so a config object can be logged safely.
import { pino, type Logger } from 'pino'

export type { Logger }

export const REDACTED_KEYS = ['password', 'secret', 'secretAccessKey', 'sessionToken', 'authorization', 'sasl']
/** `key` alone is too common a name (record keys are logged); under TLS options it is a private key. */
const REDACTED_TLS_KEYS = ['ssl.key', 'tls.key']

export interface LoggerOptions {
  level?: string
  /** Pretty-print for a terminal; defaults to whether stderr is a TTY. */
  pretty?: boolean
  /** Where lines go; defaults to stderr so stdout stays free for status lines and query results. */
  destination?: NodeJS.WritableStream
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.PULSE_LOG_LEVEL ?? 'info'
  const redact = {
    paths: [...REDACTED_KEYS, ...REDACTED_TLS_KEYS].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
    censor: '[redacted]',
  }
  const pretty = options.pretty ?? (process.stderr.isTTY && options.destination === undefined)
  if (pretty) {
    return pino({
      level,
      redact,
      transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    })
  }
  return pino({ level, redact, base: { service: 'pulse' } }, options.destination ?? pino.destination(2))
}
