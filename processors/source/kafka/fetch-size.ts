// How much one fetch may bring. The pipeline checks its buffer after a batch is handled, so whatever a
// fetch returns is held before backpressure can act: with kafkajs's defaults (10 MiB a fetch, 1 MiB a
// partition) and large records, a backlog arrived faster than it could be bounded. A fetch of at most
// a quarter of the budget keeps what is held under 1.25 × the budget. (Kafka still returns a record
// larger than the limit on its own, so one oversized record never stalls a partition.)

const KAFKAJS_MAX_BYTES = 10 << 20
const KAFKAJS_MAX_BYTES_PER_PARTITION = 1 << 20

export interface FetchSizes {
  maxBytes: number
  maxBytesPerPartition: number
}

export function fetchSizes(maxBufferedBytes: number | undefined): FetchSizes {
  if (maxBufferedBytes === undefined) return { maxBytes: KAFKAJS_MAX_BYTES, maxBytesPerPartition: KAFKAJS_MAX_BYTES_PER_PARTITION }
  const maxBytes = Math.max(64 << 10, Math.min(KAFKAJS_MAX_BYTES, Math.floor(maxBufferedBytes / 4)))
  return { maxBytes, maxBytesPerPartition: Math.min(KAFKAJS_MAX_BYTES_PER_PARTITION, maxBytes) }
}
