// What a traffic generator yields: a record of one kind, the key that keeps its order on the stream,
// and the moment it is sent. Generators are deterministic for a seed, so tests can recompute them.
import type { RecordKind, RecordKinds } from '../schemas/types.ts'

export type Generated = {
  [K in RecordKind]: {
    kind: K
    /** Partition key: records with one key stay in order on the stream. */
    key: string
    /** When the client sends it (epoch ms); the stream carries records in this order. */
    sendTime: number
    record: RecordKinds[K]
  }
}[RecordKind]

/** A source of generated records in send-time order. */
export interface Traffic {
  /** Send time of the record next() will return. */
  peekTime(): number
  next(): Generated
}
