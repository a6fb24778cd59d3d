// Whether a consumer crash kafkajs will not restart itself came from the brokers being away (a broker
// restart, a coordinator moving) rather than from this process. kafkajs restarts a crashed consumer
// only when the original cause is retriable, and it counts "no group coordinator" as not retriable:
// one broker restarting for a few seconds then ends the member for good. Such a crash is an outage
// to wait out, like ClickHouse being down; anything else stays a failure.
const OUTAGE_ERRORS = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
])

interface ErrorLike {
  name?: unknown
  cause?: unknown
}

export function isBrokerOutage(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== null && typeof current === 'object' && depth < 10; depth++) {
    const { name, cause } = current as ErrorLike
    if (typeof name === 'string' && OUTAGE_ERRORS.has(name)) return true
    current = cause
  }
  return false
}
