// Source checkpoints kept in ClickHouse itself, beside the rows they vouch for: the committed position
// of each partition and, while a block is being inserted, the range of that block (the intent). The
// table keeps one row per (partition, fence) (migration 010): a merge never folds a successor's row
// into a late row of the writer it fenced out, and a load takes the highest fence, then the newest.
// A row with no content is a claim (a new owner's fence, written before it reads): it reads as no
// checkpoint, or, for a load that skips claims (Kafka's), hides nothing beneath it.
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
  /** UInt64: a string or a number, depending on the interface's JSON settings. */
  fence: string | number
}

export class ClickHouseCheckpointStore implements CheckpointStore {
  private lastVersion = 0

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    /** Who writes, for people reading the table (host and pid). */
    private readonly owner: string,
  ) {}

  async load(source: string, stream: string, options: { skipClaims?: boolean } = {}): Promise<Map<string, Checkpoint>> {
    const claims = options.skipClaims === true ? `AND NOT (position = '' AND pending_to = '' AND state = '')` : ''
    const result = await this.client.query({
      query: `SELECT source, stream, partition, position, pending_from, pending_to, pending_snapshot, state, fence
              FROM ${this.database}.checkpoints FINAL
              WHERE source = {source:String} AND stream = {stream:String} ${claims}
              ORDER BY partition, fence DESC, version DESC
              LIMIT 1 BY partition`,
      query_params: { source, stream },
      format: 'JSONEachRow',
    })
    const rows = await result.json<CheckpointRow>()
    // A claim of a shard nothing was committed for says nothing: it reads as no checkpoint.
    return new Map(rows.filter((row) => !isEmpty(row)).map((row) => [row.partition, fromRow(row)]))
  }

  /**
   * The highest fence of each partition's rows, claims included: the fencing check, one small read.
   * No FINAL: a maximum needs no deduplicated rows, so it reads only the sorting key's columns.
   */
  async highestFences(source: string, stream: string, partitions?: readonly string[]): Promise<Map<string, number>> {
    const only = partitions === undefined ? '' : 'AND partition IN {partitions:Array(String)}'
    const result = await this.client.query({
      query: `SELECT partition, max(fence) AS fence FROM ${this.database}.checkpoints
              WHERE source = {source:String} AND stream = {stream:String} ${only}
              GROUP BY partition`,
      query_params: { source, stream, partitions: partitions ?? [] },
      format: 'JSONEachRow',
    })
    const rows = await result.json<{ partition: string; fence: string | number }>()
    return new Map(rows.map((row) => [row.partition, Number(row.fence)]))
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
      fence: checkpoint.fence ?? 0,
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
    fence: Number(row.fence),
  }
}

function isEmpty(row: CheckpointRow): boolean {
  return row.position === '' && row.pending_to === '' && row.state === ''
}
