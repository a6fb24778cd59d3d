// The Kinesis shard leases in DynamoDB (the KCL's design): one item per shard with its owner, a counter
// every change increments, and whether the shard was read to its end with its final position committed.
// Every change is conditional on the counter the writer last saw, so the counter is a fencing token: a
// worker that lost a lease (paused past its expiry) can no longer renew, release or finish it.
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  ResourceInUseException,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { setTimeout as sleep } from 'node:timers/promises'
import { PulseError } from '../../../runtime/errors.ts'

export interface Lease {
  /** STREAM/SHARD: the table's hash key. */
  key: string
  stream: string
  shard: string
  /** Shards that must be finished first (one after a split, two after a merge). */
  parents: string[]
  /** Empty when nobody holds it. */
  owner: string
  counter: number
  /** When its owner last renewed it, on the owner's clock: others count its expiry from here (lease-plan.ts, observe). */
  renewedAt: number
  finished: boolean
  /** A worker that asked the owner to hand the lease over (a steal towards an even spread). */
  stealer: string | undefined
  /**
   * Since when its owner reads the shard, on the owner's clock; unset while the owner is still
   * claiming the checkpoint and restoring the shard's state. Only a shard read for a while is asked
   * for (lease-plan.ts): moving one costs its next owner a restore.
   */
  readingSince: number | undefined
}

/** The lease changed under us (another worker took it): retrying cannot help, nothing more may be committed for it. */
export class LeaseLostError extends PulseError {
  constructor(key: string) {
    super(`lease ${key} is no longer held by this worker`, { retriable: false })
  }
}

export function leaseKey(stream: string, shard: string): string {
  return `${stream}/${shard}`
}

export class LeaseTable {
  constructor(
    private readonly client: DynamoDBClient,
    readonly name: string,
  ) {}

  /** Creates the table on first use and waits until it is active. */
  async ensure(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.name,
          AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      )
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error
    }
    for (let attempt = 0; attempt < 120; attempt++) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.name }))
      if (Table?.TableStatus === 'ACTIVE') return
      await sleep(500)
    }
    throw new Error(`lease table ${this.name} did not become active`)
  }

  /** Adds a shard's lease unless it exists; returns whether it was new. */
  async create(stream: string, shard: string, parents: readonly string[]): Promise<boolean> {
    const item: Record<string, AttributeValue> = {
      leaseKey: { S: leaseKey(stream, shard) },
      stream: { S: stream },
      shard: { S: shard },
      parents: { S: parents.join(',') },
      owner: { S: '' },
      counter: { N: '0' },
      renewedAt: { N: '0' },
      finished: { BOOL: false },
    }
    try {
      await this.client.send(new PutItemCommand({ TableName: this.name, Item: item, ConditionExpression: 'attribute_not_exists(leaseKey)' }))
      return true
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false
      throw error
    }
  }

  async list(): Promise<Lease[]> {
    const leases: Lease[] = []
    let start: Record<string, AttributeValue> | undefined
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.name, ConsistentRead: true, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }))
      leases.push(...(page.Items ?? []).map(fromItem))
      start = page.LastEvaluatedKey
    } while (start !== undefined)
    return leases
  }

  /** Takes a lease as last seen (free, expired, or handed over); fails if it changed since. */
  take(lease: Lease, owner: string): Promise<Lease> {
    return this.update(lease.key, 'SET #owner = :me, #counter = #counter + :one, renewedAt = :now REMOVE stealer, readingSince', '#counter = :seen', { ':me': s(owner), ':seen': n(lease.counter) })
  }

  /** Renews a held lease, with since when its shard is read if it is; the answer says whether another worker asked for it. */
  renew(key: string, owner: string, counter: number, readingSince?: number): Promise<Lease> {
    const values = { ':me': s(owner), ':seen': n(counter) }
    if (readingSince === undefined) return this.update(key, 'SET #counter = #counter + :one, renewedAt = :now', '#owner = :me AND #counter = :seen', values)
    return this.update(key, 'SET #counter = #counter + :one, renewedAt = :now, readingSince = :since', '#owner = :me AND #counter = :seen', { ...values, ':since': n(readingSince) })
  }

  /**
   * Lifts a held lease's counter above `fence`: checkpoints carry the counter as their fence, and a
   * lease table created after them (recreated, renamed) starts below what they carry.
   */
  raise(key: string, owner: string, counter: number, fence: number): Promise<Lease> {
    return this.update(key, 'SET #counter = :fence + :one, renewedAt = :now', '#owner = :me AND #counter = :seen', { ':me': s(owner), ':seen': n(counter), ':fence': n(fence) })
  }

  /**
   * Gives a held lease up: to nobody on stop, or straight to the worker that asked for it (were it
   * left free, a worker that does not yet know the asker exists could take it back at once).
   */
  async release(key: string, owner: string, counter: number, to = ''): Promise<void> {
    await this.update(key, 'SET #owner = :next, #counter = #counter + :one, renewedAt = :now REMOVE stealer, readingSince', '#owner = :me AND #counter = :seen', {
      ':me': s(owner),
      ':seen': n(counter),
      ':next': s(to),
    })
  }

  /** Records that the shard was read to its end and its final position committed; its children may start. */
  async finish(key: string, owner: string, counter: number): Promise<void> {
    await this.update(key, 'SET #owner = :none, finished = :yes, #counter = #counter + :one, renewedAt = :now REMOVE stealer', '#owner = :me AND #counter = :seen', {
      ':me': s(owner),
      ':seen': n(counter),
      ':none': s(''),
      ':yes': { BOOL: true },
    })
  }

  /** Asks the owner of a lease to hand it over; it does so at its next renewal. */
  async requestSteal(lease: Lease, stealer: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.name,
          Key: { leaseKey: s(lease.key) },
          UpdateExpression: 'SET stealer = :thief',
          ConditionExpression: '#owner = :victim AND attribute_not_exists(stealer)',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':thief': s(stealer), ':victim': s(lease.owner) },
        }),
      )
      return true
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false
      throw error
    }
  }

  private async update(key: string, expression: string, condition: string, values: Record<string, AttributeValue>): Promise<Lease> {
    try {
      const result = await this.client.send(
        new UpdateItemCommand({
          TableName: this.name,
          Key: { leaseKey: s(key) },
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(leaseKey) AND ${condition}`,
          ExpressionAttributeNames: { '#owner': 'owner', '#counter': 'counter' },
          ExpressionAttributeValues: { ...values, ':one': n(1), ':now': n(Date.now()) },
          ReturnValues: 'ALL_NEW',
        }),
      )
      return fromItem(result.Attributes ?? {})
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new LeaseLostError(key)
      throw error
    }
  }
}

function s(value: string): AttributeValue {
  return { S: value }
}

function n(value: number): AttributeValue {
  return { N: String(value) }
}

function fromItem(item: Record<string, AttributeValue>): Lease {
  const text = (name: string): string => item[name]?.S ?? ''
  const parents = text('parents')
  return {
    key: text('leaseKey'),
    stream: text('stream'),
    shard: text('shard'),
    parents: parents === '' ? [] : parents.split(','),
    owner: text('owner'),
    counter: Number(item.counter?.N ?? '0'),
    renewedAt: Number(item.renewedAt?.N ?? '0'),
    finished: item.finished?.BOOL === true,
    stealer: item.stealer?.S,
    readingSince: item.readingSince?.N === undefined ? undefined : Number(item.readingSince.N),
  }
}
