// A Kinesis client for AWS or an emulator. Emulators refuse the SDK's default HTTP/2 handler, so an
// endpoint override gets the HTTP/1.1 handler and placeholder credentials unless real ones are set.
// Enhanced fan-out has its own client: SubscribeToShard is an HTTP/2 event stream on AWS.
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler'

export interface KinesisEndpoint {
  endpoint?: string | undefined
  region: string
}

export function createKinesisClient(target: KinesisEndpoint): KinesisClient {
  if (target.endpoint === undefined) return new KinesisClient({ region: target.region })
  return new KinesisClient({
    region: target.region,
    endpoint: target.endpoint,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
    maxAttempts: 1,
    ...localCredentials(),
  })
}

/**
 * The client of SubscribeToShard. HTTP/2 is what AWS serves (and the SDK's default); `http1` is for
 * kinesis-mock, whose HTTP/2 event stream breaks with a protocol error while its HTTP/1.1 one flows.
 * No request timeout: a subscription is one long response, bounded by the reader's renewal instead.
 * One attempt per call: the fan-out reader resubscribes with its own backoff.
 */
export function createFanOutClient(target: KinesisEndpoint & { http1: boolean }): KinesisClient {
  const requestHandler = target.http1 ? new NodeHttpHandler({ connectionTimeout: 5000 }) : new NodeHttp2Handler()
  if (target.endpoint === undefined) return new KinesisClient({ region: target.region, requestHandler, maxAttempts: 1 })
  return new KinesisClient({ region: target.region, endpoint: target.endpoint, requestHandler, maxAttempts: 1, ...localCredentials() })
}

function localCredentials(): { credentials?: { accessKeyId: string; secretAccessKey: string } } {
  const hasCredentials = process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined
  return hasCredentials ? {} : { credentials: { accessKeyId: 'pulse-local', secretAccessKey: 'pulse-local' } }
}

export function streamNames(prefix: string): { client_event: string; network_flow: string; ip_assignment: string } {
  return {
    client_event: `${prefix}-client-events`,
    network_flow: `${prefix}-network-flows`,
    ip_assignment: `${prefix}-ip-assignments`,
  }
}
