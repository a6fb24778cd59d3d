// The correctness bar of event-time processing (issue 4): a generated workload with out-of-order,
// late and duplicated client events, a few events far too late, and network flows whose addresses
// change owners, goes onto the Kinesis emulator and through the real processor into chDB. What
// ClickHouse then holds in qoe_1m, engagement_1m, playback_sessions, care_actions and flows_1m (and the
// per-title views over client_events and the sessions) must equal, exactly, what an independent oracle (test/helpers/oracle.ts) computes from the produced
// records — with one processor, and when a processor is killed mid-run and another takes over.
//
// Making the expectation independent of timing and of how keys spread over shards:
// - Arrival classes: the allowed lateness (1 h) dwarfs the generator's worst delay (maxLateMs 4 min),
//   so no generated event can be too late on any shard (checked up front); the injected events are
//   three hours older than the workload and are sent mid-stream, so they are too late wherever they
//   land (any partition has seen workload events by then, and its watermark with them).
//   Which generated events are `late` (rather than on time) depends on the shard's watermark, so the
//   `corrections` column is not compared, and qoe_1m rows whose measures are all zero (the correction
//   marker a late event with nothing to add leaves) are left out on both sides.
// - Duplicates: a retry goes out within seconds with the same event time and key, far inside the
//   dedup horizon, so the first send wins.
// - Sessions: every event of an app session shares its key, so its partition sees them in send order;
//   the oracle folds each playback in that order. A session is final at its stop: events of it that
//   arrive later (client batching reorders sends by up to 2 s) count in the per-minute tables but
//   neither change nor reopen the session (the reading processors/ intends; see the oracle). The
//   inactivity timeout (24 h) cannot fire in the test, so sessions end by playback_stop only, and the
//   ones still running are written (ended = 0) by the clean shutdown.
// - Flows: all IP assignment changes are produced and stored before any flow, so every flow is
//   attributed against the complete history, as of its start.
import { describe, expect, it } from 'vitest'
import { createFlowTraffic, generateClientTraffic, type FleetTruth } from '../../producers/generators/index.ts'
import { decode, encode } from '../../schemas/codec.ts'
import type { ClientEvent, IpAssignment, NetworkFlow, RecordKind, RecordKinds } from '../../schemas/types.ts'
import { assertNeverTooLate, expectClientTables, expectFlowsPerMinute, type ClientExpectation, type FlowSums } from '../helpers/oracle.ts'
import { compareWithOracle, rows } from '../helpers/oracle-tables.ts'
import { kinesisPipeline, startProcessor, type TestPipeline } from '../helpers/pipeline.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

const PROCESSING = {
  windowSeconds: 60,
  outOfOrdernessMs: 5000,
  allowedLatenessMs: 3_600_000,
  dedupHorizonMs: 600_000,
  sessionTimeoutMs: 86_400_000,
  // Lower than the default so the workload's few rebuffer-heavy sessions earn a network check too.
  careRebufferRatio: 0.01,
}
/** A fixed past start makes every run produce the same records (validation accepts any past time). */
const START = Date.UTC(2026, 5, 1, 18, 0, 0)
const CLIENT_EVENTS = 30_000
const FLOWS = 4000
const TOO_LATE_AGE_MS = 3 * 3_600_000

interface Workload {
  /** Client events in send order, retries and the injected too-late events included. */
  clientEvents: ClientEvent[]
  tooLate: Set<string>
  assignments: IpAssignment[]
  flows: NetworkFlow[]
  truth: FleetTruth
  client: ClientExpectation
  flowsPerMinute: Map<string, FlowSums>
}

function buildWorkload(seed: number): Workload {
  const generated = generateClientTraffic(
    { seed, startTime: START, ratePerSecond: 25, viewers: 600, lateFraction: 0.03, maxLateMs: 240_000, duplicateFraction: 0.02 },
    CLIENT_EVENTS,
  ).map((item) => item.record)
  // The too-late events go mid-stream, where sessions and app sessions they could disturb go on after them.
  const middle = Math.floor(generated.length / 2)
  const injected = tooLateEvents(generated, middle)
  const clientEvents = [...generated.slice(0, middle), ...injected, ...generated.slice(middle)]
  const tooLate = new Set(injected.map((event) => event.event_id))

  // Flows and the changes of IP ownership they are attributed by; assignments effective up to a while
  // after the last flow are taken too, so the truth holds nothing that was not produced.
  const traffic = createFlowTraffic({ seed, startTime: START, ratePerSecond: 4, reassignEverySeconds: 20, assignmentDelayMs: 0, noDataFraction: 0.02 })
  const assignments: IpAssignment[] = []
  const flows: NetworkFlow[] = []
  let lastFlowMs = 0
  while (flows.length < FLOWS || traffic.peekTime() <= lastFlowMs + 120_000) {
    const item = traffic.next()
    if (item.kind === 'ip_assignment') assignments.push(item.record)
    else if (flows.length < FLOWS) {
      flows.push(item.record)
      lastFlowMs = item.sendTime
    }
  }
  return {
    clientEvents,
    tooLate,
    assignments,
    flows,
    truth: traffic.truth,
    client: expectClientTables(clientEvents, tooLate, { windowMs: PROCESSING.windowSeconds * 1000, careRebufferRatio: PROCESSING.careRebufferRatio }),
    flowsPerMinute: expectFlowsPerMinute(flows, traffic.truth),
  }
}

/**
 * Events hours older than the workload, inserted at `at` in send order, each of which would visibly
 * change the results if it were folded in: an error on a playback that is still running at the end,
 * a play request opening a new playback, an A/B allocation that would add a cell to the next
 * impression of its app session, and an impression in an app session of its own.
 */
function tooLateEvents(generated: readonly ClientEvent[], at: number): ClientEvent[] {
  const stopped = new Set(generated.filter((event) => event.event_type === 'playback_stop').map((event) => event.playback_id))
  const running = generated.slice(0, at).find((event) => event.event_type === 'playback_start' && !stopped.has(event.playback_id))
  const browsing = generated.slice(at).find((event) => event.event_type === 'row_impression')
  const sendTime = generated[at - 1]?.client_send_time
  if (running === undefined || browsing === undefined || sendTime === undefined) throw new Error('the workload has no running playback or no browsing to shadow')
  const old = START - TOO_LATE_AGE_MS
  const make = (base: ClientEvent, index: number, changes: Partial<ClientEvent>): ClientEvent => ({
    ...base,
    event_id: `too-late-${index}`,
    event_time: old + index * 1000,
    // Sent in order with its neighbours, so the stream stays in send-time order.
    client_send_time: sendTime,
    duration_ms: null,
    bitrate_kbps: null,
    ...changes,
  })
  return [
    make(running, 1, { event_type: 'playback_error', error_code: 'E_LATE' }),
    make(running, 2, { event_type: 'play_request', playback_id: 'too-late-playback' }),
    make(browsing, 3, { event_type: 'ab_allocation', ab_test_id: 'too-late-test', ab_cell: 'cell-9', row_id: null, row_position: null, title_id: null }),
    make(browsing, 4, { app_session_id: 'too-late-app-session' }),
  ]
}

function records<K extends RecordKind>(kind: K, items: readonly RecordKinds[K][], keyOf: (record: RecordKinds[K]) => string): { key: string; value: Buffer }[] {
  return items.map((record) => ({ key: keyOf(record), value: encode(kind, record) }))
}

async function newPipeline(): Promise<TestPipeline> {
  return kinesisPipeline({ clickhouse: { batchRows: 500 }, processing: PROCESSING })
}

/** Produces the assignments and waits until the processor holds them, so flows see the whole history. */
async function produceAssignments(pipeline: TestPipeline, workload: Workload): Promise<void> {
  const { streams } = pipeline.kinesis
  await pipeline.transport.send(streams.ip_assignment, records('ip_assignment', workload.assignments, (record) => record.cidr))
  const { clickhouse } = embeddedClickHouse()
  await pollUntil(() => count(clickhouse, `SELECT count() FROM ${pipeline.database}.ip_assignments`), (n) => n >= workload.assignments.length, { what: 'the IP assignments' })
}

async function produceTraffic(pipeline: TestPipeline, workload: Workload): Promise<void> {
  const { streams } = pipeline.kinesis
  await Promise.all([
    pipeline.transport.send(streams.client_event, records('client_event', workload.clientEvents, (record) => record.app_session_id)),
    pipeline.transport.send(streams.network_flow, records('network_flow', workload.flows, (record) => record.interface_id)),
  ])
}

/** Waits until every kept client event and every flow is in ClickHouse. */
async function waitForEverything(pipeline: TestPipeline, workload: Workload): Promise<void> {
  const { clickhouse } = embeddedClickHouse()
  const db = pipeline.database
  await pollUntil(
    async () => [await count(clickhouse, `SELECT count() FROM ${db}.client_events`), await count(clickhouse, `SELECT count() FROM ${db}.network_flows`)],
    ([events = 0, flows = 0]) => events >= workload.client.kept.length && flows >= workload.flows.length,
    { what: 'every client event and flow', timeoutMs: 90_000 },
  )
}

async function expectMatchesOracle(database: string, workload: Workload): Promise<void> {
  const { client } = workload
  const { clickhouse } = embeddedClickHouse()

  // Raw rows: every id once, the injected ones too_late (and dead-lettered), the rest on time or late.
  const stored = await rows<{ event_id: string; arrival: string }>(clickhouse.client, `SELECT event_id, arrival FROM ${database}.client_events`)
  expect(stored.length).toBe(client.kept.length)
  expect(new Set(stored.map((row) => row.event_id))).toEqual(new Set(client.kept.map((event) => event.event_id)))
  expect(stored.filter((row) => row.arrival === 'too_late').map((row) => row.event_id).sort()).toEqual([...client.tooLate].sort())
  expect(stored.filter((row) => row.arrival === 'late').length).toBeGreaterThan(0)
  const letters = await rows<{ stage: string; reason: string; raw_base64: string }>(clickhouse.client, `SELECT stage, reason, raw_base64 FROM ${database}.dead_letters`)
  expect(letters.map((letter) => [letter.stage, letter.reason])).toEqual(client.tooLate.map(() => ['window', 'too_late']))
  const letterIds = letters.map((letter) => {
    const decoded = decode('client_event', Buffer.from(letter.raw_base64, 'base64'))
    return decoded.ok ? decoded.value.event_id : 'undecodable'
  })
  expect(letterIds.sort()).toEqual([...client.tooLate].sort())

  // Aggregates, sessions (ended and still open), care actions, the per-title views and flows_1m.
  const tables = await compareWithOracle(clickhouse.client, database, client, workload.flowsPerMinute)
  expect(tables.filter((table) => table.differences.length > 0)).toEqual([])
  expect(await count(clickhouse, `SELECT count() FROM ${database}.network_flows`)).toBe(workload.flows.length)
}

function expectRichWorkload(workload: Workload): void {
  const { client } = workload
  // The precondition of the oracle's arrival classes, and a workload that exercises what it should.
  expect(assertNeverTooLate(workload.clientEvents.filter((event) => !workload.tooLate.has(event.event_id)), PROCESSING)).toEqual([])
  expect(client.duplicates).toBeGreaterThan(100)
  const outOfOrder = client.kept.filter((event, i) => i > 0 && event.event_time < (client.kept[i - 1]?.event_time ?? 0)).length
  expect(outOfOrder).toBeGreaterThan(500)
  expect(client.ended.size).toBeGreaterThan(150)
  expect(client.open.size).toBeGreaterThan(50)
  expect(client.care.size).toBeGreaterThan(20)
  expect(new Set([...client.care.values()].map((action) => action.remedy))).toEqual(new Set(['credit', 'network_check', 'apology']))
  expect(workload.flows.some((flow) => flow.log_status !== 'OK')).toBe(true)
  expect(workload.assignments.filter((assignment) => assignment.action === 'release').length).toBeGreaterThan(20)
  // As-of attribution matters: some flows' addresses belong to another app (or none) by the end.
  const end = Math.max(...workload.flows.map((flow) => flow.end)) * 1000
  const reowned = workload.flows.filter((flow) =>
    [flow.src_addr, flow.dst_addr].some((ip) => ip !== null && workload.truth.ownerAt(ip, flow.start * 1000)?.app !== workload.truth.ownerAt(ip, end)?.app),
  )
  expect(reowned.length).toBeGreaterThan(10)
}

describe('event-time correctness against an independent oracle', () => {
  it('matches the oracle exactly: qoe_1m, engagement_1m, sessions, care actions, flows_1m', async () => {
    const workload = buildWorkload(41)
    expectRichWorkload(workload)
    const pipeline = await newPipeline()
    const processor = await startProcessor(pipeline)
    await produceAssignments(pipeline, workload)
    await produceTraffic(pipeline, workload)
    await waitForEverything(pipeline, workload)
    // A clean shutdown writes the sessions still running, as ended = 0 rows.
    await processor.stop()
    expect(processor.fatal).toEqual([])
    await expectMatchesOracle(pipeline.database, workload)
  })

  it('matches the oracle exactly when the processor is killed mid-run and another takes over', async () => {
    const workload = buildWorkload(42)
    expectRichWorkload(workload)
    const pipeline = await newPipeline()
    const { clickhouse } = embeddedClickHouse()
    const first = await startProcessor(pipeline)
    await produceAssignments(pipeline, workload)
    await produceTraffic(pipeline, workload)
    // Kill once several blocks of client events are committed, while much is still unread.
    const db = pipeline.database
    const committedEvents = (): Promise<number> => count(clickhouse, `SELECT count() FROM ${db}.client_events`)
    const atKill = await pollUntil(committedEvents, (n) => n >= workload.client.kept.length / 4, { what: 'a quarter of the client events' })
    await first.kill()
    expect(first.fatal).toEqual([])
    const positions = await count(clickhouse, `SELECT count() FROM ${db}.checkpoints FINAL WHERE position != '' AND stream LIKE '%client%'`)
    expect(positions).toBeGreaterThan(0)
    expect(atKill).toBeLessThan(workload.client.kept.length)

    const second = await startProcessor(pipeline)
    await waitForEverything(pipeline, workload)
    await second.stop()
    expect(second.fatal).toEqual([])
    await expectMatchesOracle(pipeline.database, workload)
  })
})
