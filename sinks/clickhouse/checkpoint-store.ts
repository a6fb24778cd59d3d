// Source checkpoints kept in ClickHouse itself, beside the rows they vouch for: the committed position
// of each partition and, while a block is being inserted, the range of that block (the intent).
import type { ClickHouseClient } from '@clickhouse/client'
import type { Checkpoint, CheckpointStore } from '../../pipeline/checkpoint.ts'

interface CheckpointRow {
  source: string
  stream: string
  partition: string
  position: string
  pending_from: string
  pending_to: string
  pending_snapshot: string
  state: string
}

export class ClickHouseCheckpointStore implements CheckpointStore {
  private lastVersion = 0

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    /** Who writes, for people reading the table (host and pid). */
    private readonly owner: string,
  ) {}

  async load(source: string, stream: string): Promise<Map<string, Checkpoint>> {
    const result = await this.client.query({
      query: `SELECT source, stream, partition, position, pending_from, pending_to, pending_snapshot, state
              FROM ${this.database}.checkpoints FINAL
              WHERE source = {source:String} AND stream = {stream:String}`,
      query_params: { source, stream },
      format: 'JSONEachRow',
    })
    const rows = await result.json<CheckpointRow>()
    return new Map(rows.map((row) => [row.partition, fromRow(row)]))
  }

  async write(checkpoints: readonly Checkpoint[]): Promise<void> {
    if (checkpoints.length === 0) return
    const now = Date.now()
    const values = checkpoints.map((checkpoint) => ({
      source: checkpoint.source,
      stream: checkpoint.stream,
      partition: checkpoint.partition,
      position: checkpoint.position ?? '',
      pending_from: checkpoint.pending?.from ?? '',
      pending_to: checkpoint.pending?.to ?? '',
      pending_snapshot: checkpoint.pending?.snapshot ?? '',
      state: checkpoint.state,
      owner: this.owner,
      updated_at: now,
      version: this.nextVersion(now),
    }))
    await this.client.insert({ table: `${this.database}.checkpoints`, values, format: 'JSONEachRow' })
  }

  /** Microseconds since the epoch, strictly increasing within this process, so the newest row wins. */
  private nextVersion(now: number): number {
    this.lastVersion = Math.max(this.lastVersion + 1, now * 1000)
    return this.lastVersion
  }
}

function fromRow(row: CheckpointRow): Checkpoint {
  return {
    source: row.source,
    stream: row.stream,
    partition: row.partition,
    position: row.position === '' ? undefined : row.position,
    pending: row.pending_to === '' ? undefined : { from: row.pending_from, to: row.pending_to, ...(row.pending_snapshot === '' ? {} : { snapshot: row.pending_snapshot }) },
    state: row.state,
  }
}
