// What the processors read back from the sink at start-up and on assignment: the rows already written
// are the changelog their state is rebuilt from (IP ownership history, a partition's recent client
// events and sessions). The sink answers these; the processors fold the answers into their state.
import type { ClientEvent, IpAssignment } from '../schemas/types.ts'

export interface IngestedAssignment {
  assignment: IpAssignment
  /** When the pipeline wrote it (epoch ms), to ask only for newer ones next time. */
  ingestTimeMs: number
}

export interface ClientEventHistory {
  /** Source partition (without its stream). */
  partition: string
  /** Committed position: nothing after it is read (a replay applies it again). */
  upTo: string
  /** Event time (epoch ms) from which every event is read; older ones only if their playback or app session is still active. */
  since: number
}

/** A client event read back with the source position of the record it came from. */
export interface StoredClientEvent {
  event: ClientEvent
  position: string
}

/** A playback session ClickHouse holds as ended. */
export interface EndedSession {
  sessionId: string
  /** Its row's end_time (epoch ms): the last event that row had seen. */
  endTime: number
}

export interface StateStore {
  /** IP assignment changes written at or after `sinceIngestMs`, in effective-time order. */
  assignmentsSince(sinceIngestMs: number): Promise<IngestedAssignment[]>
  /** The events that shape a partition's state at its committed position, in stream order (streamed: there can be very many). */
  clientEvents(history: ClientEventHistory): AsyncIterable<StoredClientEvent> | Iterable<StoredClientEvent>
  /** Which of these playback sessions are already written as ended, with the last event time of that row. */
  endedSessions(ids: readonly string[]): Promise<EndedSession[]>
}
