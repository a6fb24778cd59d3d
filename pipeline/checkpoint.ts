// Source checkpoints: the committed position of each partition and, while a block is being
// inserted, that block's range (the intent a replay must cut again). Where they are kept is the
// sink's business (ClickHouse, beside the rows they vouch for); the commit protocol needs only this.

export interface Checkpoint {
  source: string
  stream: string
  partition: string
  /** Every row derived from records up to here is in ClickHouse; undefined: nothing yet. */
  position: string | undefined
  /**
   * A block that may or may not have landed; a replay must cut exactly this range again. A snapshot
   * block (state at `to`, not records) carries its label instead: it is re-derived, not re-cut.
   */
  pending: { from: string; to: string; snapshot?: string } | undefined
  /** Processing state at `position` (JSON), e.g. the partition's highest event time. */
  state: string
  /**
   * The writer's fencing token (a Kinesis lease's counter when its writer took it); unset: 0. Of a
   * partition's checkpoints the one under the highest fence wins, then the newest, so a writer that
   * lost its partition can never override its successor, however late its write lands.
   */
  fence?: number
}

export interface CheckpointStore {
  /** Every partition's winning checkpoint of one stream (highest fence, then newest), by partition. */
  load(source: string, stream: string): Promise<Map<string, Checkpoint>>
  write(checkpoints: readonly Checkpoint[]): Promise<void>
}
