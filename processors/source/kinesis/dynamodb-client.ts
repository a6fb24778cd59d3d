// A DynamoDB client for the lease table, on AWS or on dynalite. Like the Kinesis emulator, dynalite is
// given HTTP/1.1 and placeholder credentials unless real ones are set.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { KinesisEndpoint } from './client.ts'

export function createDynamoClient(target: KinesisEndpoint): DynamoDBClient {
  if (target.endpoint === undefined) return new DynamoDBClient({ region: target.region })
  const hasCredentials = process.env.AWS_ACCESS_KEY_ID !== undefined && process.env.AWS_SECRET_ACCESS_KEY !== undefined
  return new DynamoDBClient({
    region: target.region,
    endpoint: target.endpoint,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 10_000 }),
    maxAttempts: 2,
    ...(hasCredentials ? {} : { credentials: { accessKeyId: 'pulse-local', secretAccessKey: 'pulse-local' } }),
  })
}
