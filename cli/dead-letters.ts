// `pulse dead-letters`: what was rejected, by stage and reason, over a time range; and
// `pulse dead-letters replay`: the selected rows' raw bytes put back on their stream (or --to-stream),
// each replay recorded in dead_letter_replays. Idempotent: a row already replayed is not selected
// again (unless --again), and the mark is written only after the stream accepted the bytes, so a
// replay cut short is repeated for the unmarked rows only; a client event put twice that way is
// dropped downstream by its event id within --dedup-horizon-ms.
import { ConfigError } from '../runtime/errors.ts'
import { markReplayed, selectForReplay, summarise, type ReplayCandidate } from '../sinks/clickhouse/dead-letters.ts'
import { connectWhenFree } from '../sinks/clickhouse/connection.ts'
import { migrate } from '../sinks/clickhouse/migrate.ts'
import { openQueryClient } from './query.ts'
import { sinceSeconds } from './report.ts'
import { openStreams, type Runtime } from './roles.ts'

export interface DeadLetterRequest {
  action: string | undefined
  since: string | undefined
  stage: string | undefined
  reason: string | undefined
  ids: readonly string[]
  toStream: string | undefined
  again: boolean
}

const DEFAULT_SINCE = '7d'

export async function runDeadLetters(runtime: Runtime, request: DeadLetterRequest, out: NodeJS.WritableStream): Promise<number> {
  if (request.action === undefined) return list(runtime, request, out)
  if (request.action === 'replay') return replay(runtime, request, out)
  throw new ConfigError(`pulse dead-letters: unknown action "${request.action}" (none to list, or replay)`)
}

async function list(runtime: Runtime, request: DeadLetterRequest, out: NodeJS.WritableStream): Promise<number> {
  const { client, close } = openQueryClient(runtime.config)
  try {
    const rows = await summarise(client, runtime.config.clickhouse.database, sinceSeconds(request.since ?? DEFAULT_SINCE))
    out.write(`${['stage', 'reason', 'dead_letters', 'replayed', 'first', 'last'].join('\t')}\n`)
    for (const row of rows) out.write(`${[row.stage, row.reason, row.dead_letters, row.replayed, row.first, row.last].join('\t')}\n`)
    return 0
  } finally {
    await close()
  }
}

async function replay(runtime: Runtime, request: DeadLetterRequest, out: NodeJS.WritableStream): Promise<number> {
  const { config } = runtime
  const database = config.clickhouse.database
  // Writes the marks, so it needs a writer: the data directory (no live run), or a server/the live
  // run's interface given as --clickhouse URL with pulse_writer's credentials.
  const clickhouse = await connectWhenFree(config.clickhouse)
  const streams = await openStreams(runtime, false)
  const transport = streams.transport()
  try {
    await migrate(clickhouse.client, database, undefined, { cluster: clickhouse.cluster })
    // Like every producing role, make sure the pipeline's streams exist (a processor reads them all).
    await transport.ensureStreams(Object.values(streams.streams))
    const filter = { sinceSeconds: sinceSeconds(request.since ?? DEFAULT_SINCE), stage: request.stage, reason: request.reason, ids: request.ids, again: request.again }
    const candidates = await selectForReplay(clickhouse.client, database, filter)
    for (const [stream, rows] of byTarget(candidates, request.toStream)) {
      if (!Object.values(streams.streams).includes(stream)) await transport.ensureStreams([stream])
      await transport.send(stream, rows.map((row) => ({ key: row.id, value: Buffer.from(row.raw_base64, 'base64') })))
      await markReplayed(clickhouse.client, database, rows.map((row) => ({ id: row.id, stream })), Date.now())
      out.write(`replayed ${rows.length} dead letter(s) onto ${stream}\n`)
    }
    if (candidates.length === 0) out.write(`nothing to replay${request.again ? '' : ' (rows replayed before are skipped; --again replays them once more)'}\n`)
    return 0
  } finally {
    await transport.close()
    await streams.close()
    await clickhouse.close()
  }
}

function byTarget(candidates: readonly ReplayCandidate[], toStream: string | undefined): Map<string, ReplayCandidate[]> {
  const groups = new Map<string, ReplayCandidate[]>()
  for (const candidate of candidates) {
    const stream = toStream ?? candidate.stream
    groups.set(stream, [...(groups.get(stream) ?? []), candidate])
  }
  return groups
}
