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
}

export interface CheckpointStore {
  /** Every partition's latest checkpoint of one stream, by partition. */
  load(source: string, stream: string): Promise<Map<string, Checkpoint>>
  write(checkpoints: readonly Checkpoint[]): Promise<void>
}
