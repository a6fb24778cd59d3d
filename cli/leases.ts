// `pulse leases`: which worker owns which Kinesis shard, from the lease table: one line per shard with
// its owner, counter, state and how long ago it was renewed. Against a live `pulse run` on the data
// directory it reads that run's dynalite; otherwise --dynamodb-endpoint, else AWS's DynamoDB.
import type { Config } from '../runtime/config.ts'
import { createDynamoClient } from '../processors/source/kinesis/dynamodb-client.ts'
import { LeaseTable, type Lease } from '../processors/source/kinesis/lease-table.ts'
import { leaseTableName } from './roles.ts'
import { findLiveRun } from './run-file.ts'

export async function runLeases(config: Config, out: NodeJS.WritableStream): Promise<void> {
  const client = createDynamoClient({ endpoint: leaseEndpoint(config), region: config.kinesis.region })
  try {
    const leases = await new LeaseTable(client, leaseTableName(config)).list()
    out.write(formatLeases(leases, Date.now()))
  } finally {
    client.destroy()
  }
}

function leaseEndpoint(config: Config): string | undefined {
  const { kinesis, clickhouse } = config
  if (kinesis.dynamodbEndpoint !== undefined) return kinesis.dynamodbEndpoint
  const embedded = kinesis.endpoint === undefined && clickhouse.url === undefined && findLiveRun(clickhouse.dataDir) !== undefined
  return embedded ? `http://127.0.0.1:${kinesis.dynamodbPort}` : undefined
}

export function formatLeases(leases: readonly Lease[], nowMs: number): string {
  const sorted = [...leases].sort((a, b) => a.key.localeCompare(b.key))
  const finished = new Set(sorted.filter((lease) => lease.finished).map((lease) => lease.key))
  const keys = new Set(sorted.map((lease) => lease.key))
  const state = (lease: Lease): string => {
    if (lease.finished) return 'finished'
    const waiting = lease.parents.some((parent) => keys.has(`${lease.stream}/${parent}`) && !finished.has(`${lease.stream}/${parent}`))
    if (waiting) return 'waiting on parents'
    if (lease.owner === '') return 'free'
    // Until its owner reads the shard (checkpoint claimed, state restored) nobody may ask for it.
    const held = lease.readingSince === undefined ? 'held, starting' : 'held'
    return lease.stealer === undefined ? held : `${held}, asked for by ${lease.stealer}`
  }
  const rows = sorted.map((lease) => [lease.stream, lease.shard, lease.owner === '' ? '-' : lease.owner, String(lease.counter), state(lease), lease.renewedAt === 0 ? '-' : `${((nowMs - lease.renewedAt) / 1000).toFixed(1)}s ago`])
  const header = ['stream', 'shard', 'owner', 'counter', 'state', 'renewed']
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()
  const owners = new Map<string, number>()
  for (const lease of sorted) if (lease.owner !== '' && !lease.finished) owners.set(lease.owner, (owners.get(lease.owner) ?? 0) + 1)
  const summary = [...owners].map(([owner, held]) => `${owner}: ${held}`).join(', ')
  return `${[line(header), ...rows.map(line)].join('\n')}\n\n${sorted.length} leases; held by ${summary === '' ? 'nobody' : summary}\n`
}
