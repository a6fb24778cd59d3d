// A Kinesis client for AWS or an emulator. Emulators refuse the SDK's default HTTP/2 handler, so an
// endpoint override gets the HTTP/1.1 handler and placeholder credentials unless real ones are set.
import { KinesisClient } from '@aws-sdk/client-kinesis'
import { NodeHttpHandler } from '@smithy/node-http-handler'

export interface KinesisEndpoint {
  endpoint?: string | undefined
  region: string
}

export function createKinesisClient(target: KinesisEndpoint): KinesisClient {
  if (target.endpoint === undefined) return new KinesisClient({ region: target.region })
  const hasCredentials = process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined
  return new KinesisClient({
    region: target.region,
    endpoint: target.endpoint,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30_000 }),
    maxAttempts: 1,
    ...(hasCredentials ? {} : { credentials: { accessKeyId: 'pulse-local', secretAccessKey: 'pulse-local' } }),
  })
}

export function streamNames(prefix: string): { client_event: string; network_flow: string; ip_assignment: string } {
  return {
    client_event: `${prefix}-client-events`,
    network_flow: `${prefix}-network-flows`,
    ip_assignment: `${prefix}-ip-assignments`,
  }
}
