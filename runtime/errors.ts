// Errors say whether trying again can help. Transient faults (a server restarting, a timeout,
// throttling) are retried with backoff; bad data and bad configuration never are.

export class PulseError extends Error {
  readonly retriable: boolean
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.retriable = options.retriable
  }
}

/** A setting that is missing, malformed or in conflict; the message names the setting. */
export class ConfigError extends PulseError {
  constructor(message: string) {
    super(message, { retriable: false })
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The error's own retriable flag when it has one, else a guess from common network failure codes. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof PulseError) return error.retriable
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
])
