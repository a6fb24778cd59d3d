// One interface for putting records on a stream, so generators, file replay and the HTTP collector
// do not care whether Kinesis or Kafka carries them.

export interface OutgoingRecord {
  /** Partition key: one key's records stay in order. */
  key: string
  value: Buffer
}

export interface Transport {
  readonly name: 'kinesis' | 'kafka'
  /** Creates the streams (or topics) that do not exist yet, with the configured shard/partition count. */
  ensureStreams(streams: readonly string[]): Promise<void>
  /** Resolves once every record is durably on the stream; rejects only when retries are exhausted. */
  send(stream: string, records: readonly OutgoingRecord[]): Promise<void>
  close(): Promise<void>
}
