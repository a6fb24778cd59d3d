// The one builder of dead_letters rows, used by every stage that rejects a record (decode, validate,
// window, enrich, the sink's last-resort refusals), so the columns mean the same thing whichever
// stage wrote the row: `kind` is the record kind, `partition` the source partition alone, `position`
// the record's position in it, `raw_base64` the bytes as they were rejected.
import type { Row } from './rows.ts'

export interface Rejection {
  stage: string
  reason: string
  detail: string
  /** Record kind (client_event, network_flow, ip_assignment), never a table name. */
  kind: string
  source: string
  stream: string
}

export interface RejectedAt {
  ingestTimeMs: number
  /** The partition within `stream`, without the stream. */
  partition: string
  position: string
  /** Index of the event within its source record (KPL aggregate, CloudWatch Logs envelope); 0 when alone. */
  index?: number
}

const PREVIEW_BYTES = 512
const DETAIL_CHARS = 2000

export function deadLetterRow(rejection: Rejection, raw: Buffer, at: RejectedAt): Row {
  return {
    received_time: at.ingestTimeMs,
    stage: rejection.stage,
    reason: rejection.reason,
    detail: rejection.detail.slice(0, DETAIL_CHARS),
    kind: rejection.kind,
    source: rejection.source,
    stream: rejection.stream,
    partition: at.partition,
    position: at.position,
    raw_base64: raw.toString('base64'),
    // toString('utf8') replaces invalid bytes, so binary payloads cannot break the JSON row.
    raw_preview: raw.subarray(0, PREVIEW_BYTES).toString('utf8'),
    source_index: at.index ?? 0,
  }
}
