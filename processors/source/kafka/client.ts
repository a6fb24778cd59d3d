// A kafkajs client for Pulse's producer and consumer roles, logging through Pulse's logger, plus the
// topic names and the topic creation both roles share (the broker does not auto-create topics, and
// `pulse process` may start before `pulse produce` has created them).
import { Kafka, logLevel, type Admin, type logCreator } from 'kafkajs'
import type { Logger } from 'pino'
import type { RecordKind } from '../../../schemas/types.ts'
import { guardRequestQueueTimer } from './request-queue-fix.ts'
import type { KafkaClientSecurity } from './security.ts'

export interface KafkaTarget {
  brokers: readonly string[]
  clientId: string
  logger: Logger
  /** TLS and SASL (security.ts); absent: PLAINTEXT. */
  security?: KafkaClientSecurity
}

export function createKafka(target: KafkaTarget): Kafka {
  guardRequestQueueTimer()
  return new Kafka({
    clientId: target.clientId,
    brokers: [...target.brokers],
    ...target.security,
    logLevel: logLevel.INFO,
    logCreator: pinoLogCreator(target.logger.child({ component: 'kafkajs' })),
    connectionTimeout: 3000,
    // kafkajs retries every request itself (with jittered backoff); Pulse adds no loop of its own.
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  })
}

export function topicNames(prefix: string): Record<RecordKind, string> {
  return {
    client_event: `${prefix}-client-events`,
    network_flow: `${prefix}-network-flows`,
    ip_assignment: `${prefix}-ip-assignments`,
  }
}

/**
 * Creates the topics that do not exist yet with `partitions` partitions (replication from the broker's
 * default). An existing topic is left as it is; one with fewer partitions than asked is only reported,
 * since adding partitions moves keys to other partitions and breaks their order.
 */
export async function ensureTopics(admin: Admin, topics: readonly string[], partitions: number, logger: Logger): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topics.filter((topic) => !existing.has(topic))
  // Another role may create the same topics at the same moment; kafkajs then reports false, not an error.
  if (missing.length > 0) {
    const created = await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: -1 })), waitForLeaders: true })
    if (created) logger.info({ topics: missing, partitions }, 'topics created')
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] })
  for (const topic of metadata.topics) {
    if (topic.partitions.length < partitions) logger.warn({ topic: topic.name, partitions: topic.partitions.length, configured: partitions }, 'topic has fewer partitions than configured; left as it is')
  }
}

/**
 * kafkajs logs what it retries at ERROR (a broken connection, a coordinator still loading) and its
 * group chatter at INFO. It recovers from those itself, so they are warnings and debug lines here;
 * Pulse logs what it cannot recover from at error itself.
 */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log
      const line = { namespace, ...fields }
      // "Response <Api> ..." is logged for every error answer kafkajs then handles (a coordinator still
      // loading, a topic another role just created); what it cannot handle reaches Pulse as an error.
      // "Limiting retries for the idempotent producer may invalidate EoS guarantees": retries are
      // bounded on purpose (a role that cannot reach the broker fails instead of hanging), and a
      // producer whose send gave up is never used again (the role stops), so no sequence is reused.
      if (message.startsWith('Response ') || message.startsWith('Limiting retries for the idempotent producer')) logger.debug(line, message)
      else if (level === logLevel.ERROR || level === logLevel.WARN) logger.warn(line, message)
      else if (level === logLevel.INFO) logger.debug(line, message)
      else logger.trace(line, message)
    }
}
