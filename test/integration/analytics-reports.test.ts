// Every named report against data produced by a real `pulse run` (Kinesis emulator → processors →
// embedded ClickHouse), run as a user runs it (`pulse report NAME --data-dir DIR`), and checked on its
// numbers: each figure is recomputed independently, mostly from the raw rows the aggregates came from.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadReports } from '../../sinks/clickhouse/reports/library.ts'
import { pulse, spawnPulse } from '../helpers/cli.ts'
import { pollUntil } from '../helpers/services.ts'

type Row = Record<string, unknown>

const FREE_PORTS = ['--metrics-port', '0', '--query-port', '0', '--kinesis-port', '0', '--dynamodb-port', '0']
// The whole run lies inside the window, so raw counts over all rows are the window's counts.
const SINCE = ['--since', '1d']
let dataDir = ''
/**
 * pipeline-health as read from the live run, through its query port (parameters as `param_*`). Not an
 * aggregate report: a minute's aggregates may be written only at shutdown in a 25 s run.
 */
let liveHealth: Row[] = []

async function rows(args: readonly string[]): Promise<Row[]> {
  const { stdout } = await pulse([...args, '--data-dir', dataDir, '--format', 'JSONEachRow'])
  return stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Row)
}

const query = (sql: string): Promise<Row[]> => rows(['query', sql])
const report = (name: string, ...extra: string[]): Promise<Row[]> => rows(['report', name, ...SINCE, ...extra])
const num = (value: unknown): number => Number(value)
const sumOf = (list: readonly Row[], column: string): number => list.reduce((total, row) => total + num(row[column]), 0)
const keyOf = (row: Row, columns: readonly string[]): string => columns.map((column) => String(row[column])).join('|')

function byKey(list: readonly Row[], columns: readonly string[]): Map<string, Row> {
  return new Map(list.map((row) => [keyOf(row, columns), row]))
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pulse-analytics-'))
  const running = spawnPulse(['run', '--duration', '25', '--data-dir', dataDir, ...FREE_PORTS])
  liveHealth = await pollUntil(
    () => report('pipeline-health').catch((): Row[] => []),
    (found) => found.some((row) => row.check === 'arrival' && num(row.rows) > 0),
    { what: 'pipeline-health rows while pulse run runs', timeoutMs: 90_000 },
  )
  const exitCode = await running.exited
  if (exitCode !== 0) throw new Error(`pulse run exited ${String(exitCode)}:\n${running.output()}`)
  // A few dead letters of known reasons, so pipeline-health has something to count either way.
  await pulse(['query', '--data-dir', dataDir, `INSERT INTO pulse.dead_letters (received_time, stage, reason, detail, kind) VALUES (now64(3), 'decode', 'test_reason', 'x', 'client'), (now64(3), 'decode', 'test_reason', 'y', 'client'), (now64(3), 'validate', 'test_other', 'z', 'flow')`])
}, 120_000)

afterAll(() => {
  if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true })
})

describe('pulse report on a real run', () => {
  it('lists every report with its one-line description', async () => {
    const { stdout } = await pulse(['report', '--data-dir', dataDir])
    for (const item of loadReports()) expect(stdout).toContain(item.name)
    expect(stdout).toMatch(/qoe-overview\s+plays, failure rate/)
  })

  it('answers while pulse run runs, through the live run\'s query interface', () => {
    expect(sumOf(liveHealth.filter((row) => row.check === 'arrival'), 'rows')).toBeGreaterThan(0)
    expect(liveHealth.find((row) => row.check === 'freshness' && row.subject === 'client_events')).toBeDefined()
  })

  it('prints a non-empty, readable answer for every report', async () => {
    for (const item of loadReports()) {
      const { stdout } = await pulse(['report', item.name, '--data-dir', dataDir])
      const lines = stdout.split('\n').filter((line) => /^\s*\d+\.\s│/.test(line))
      expect(lines.length, `${item.name} printed:\n${stdout}`).toBeGreaterThan(0)
    }
  })

  it('qoe-overview: plays and attempts add up to the raw events, start-up p50 within the bucket resolution', async () => {
    const overview = await report('qoe-overview')
    const [raw] = await query("SELECT countIf(event_type = 'playback_start') AS plays, countIf(event_type = 'play_request') AS attempts FROM pulse.client_events WHERE arrival != 'too_late'")
    expect(sumOf(overview, 'plays')).toBe(num(raw?.plays))
    expect(sumOf(overview, 'attempts')).toBe(num(raw?.attempts))
    expect(num(raw?.plays)).toBeGreaterThan(100)

    const key = ['minute', 'device_type', 'country', 'cdn']
    const exact = byKey(
      await query(`SELECT toStartOfMinute(event_time) AS minute, device_type, country, cdn,
        quantileExactLow(0.5)(duration_ms) AS low, quantileExactHigh(0.5)(duration_ms) AS high
        FROM pulse.client_events WHERE event_type = 'playback_start' AND arrival != 'too_late' AND duration_ms IS NOT NULL
        GROUP BY minute, device_type, country, cdn`),
      key,
    )
    let compared = 0
    for (const row of overview.filter((candidate) => candidate.startup_p50_ms !== null)) {
      const truth = exact.get(keyOf(row, key))
      expect(truth, keyOf(row, key)).toBeDefined()
      const p50 = num(row.startup_p50_ms)
      expect(p50, keyOf(row, key)).toBeGreaterThanOrEqual(num(truth?.low) * 0.9)
      expect(p50, keyOf(row, key)).toBeLessThanOrEqual(num(truth?.high) * 1.1)
      expect(num(row.startup_p90_ms)).toBeGreaterThanOrEqual(p50)
      expect(num(row.startup_p99_ms)).toBeGreaterThanOrEqual(num(row.startup_p90_ms))
      compared += 1
    }
    expect(compared).toBeGreaterThan(20)
    // A key with no start in its minute has no start-up time, not a start-up time of 0.
    for (const row of overview.filter((candidate) => num(candidate.plays) === 0)) expect(row.startup_p50_ms).toBeNull()
  })

  it('qoe-overview: rebuffer ratio and failure rate are the merged sums per key', async () => {
    const overview = byKey(await report('qoe-overview'), ['minute', 'device_type', 'country', 'cdn'])
    const merged = await query(`SELECT minute, device_type, country, cdn, sum(rebuffer_ms) AS r, sum(played_ms) AS p, sum(failed_plays) AS f, sum(play_attempts) AS a
      FROM pulse.qoe_1m GROUP BY minute, device_type, country, cdn`)
    expect(merged.length).toBe(overview.size)
    for (const row of merged) {
      const shown = overview.get(keyOf(row, ['minute', 'device_type', 'country', 'cdn']))
      const total = num(row.r) + num(row.p)
      if (total > 0) expect(num(shown?.rebuffer_ratio)).toBeCloseTo(num(row.r) / total, 4)
      if (num(row.a) > 0) expect(num(shown?.failure_rate)).toBeCloseTo(num(row.f) / num(row.a), 4)
    }
  })

  it('worst-titles-and-cdns: titles match their sessions, CDNs qoe_1m, ranked worst first above the minimum volume', async () => {
    const worst = await report('worst-titles-and-cdns', '--param', 'min_attempts=3', '--param', 'top=1000')
    // Titles are no longer in qoe_1m (migration 012): a title's attempts are its sessions, failed when never started with an error.
    const raw = byKey(
      await query(`SELECT 'title' AS kind, title_id AS name, count() AS a, countIf(started = 0 AND errors > 0) AS f FROM pulse.playback_sessions FINAL GROUP BY title_id
        UNION ALL SELECT 'cdn', cdn, sum(play_attempts), sum(failed_plays) FROM pulse.qoe_1m GROUP BY cdn`),
      ['kind', 'name'],
    )
    expect(worst.length).toBe([...raw.values()].filter((row) => num(row.a) >= 3).length)
    for (const kind of ['title', 'cdn']) {
      const ranked = worst.filter((row) => row.kind === kind)
      expect(ranked.length).toBeGreaterThan(0)
      for (const [index, row] of ranked.entries()) {
        const truth = raw.get(keyOf(row, ['kind', 'name']))
        expect(num(row.attempts)).toBe(num(truth?.a))
        expect(num(row.failed)).toBe(num(truth?.f))
        expect(num(row.attempts)).toBeGreaterThanOrEqual(3)
        if (index > 0) expect(num(row.failure_rate)).toBeLessThanOrEqual(num(ranked[index - 1]?.failure_rate))
      }
    }
  })

  it('engagement: CTR is clicks / impressions from raw client_events; minutes from the sessions', async () => {
    const engagement = await report('engagement')
    const raw = byKey(
      await query(`SELECT title_id, row_id AS row, countIf(event_type = 'row_impression') AS i, countIf(event_type = 'title_click') AS c
        FROM pulse.client_events WHERE row_id != '' GROUP BY title_id, row_id`),
      ['title_id', 'row'],
    )
    const rowLines = engagement.filter((row) => row.row !== '(playback)')
    expect(rowLines.length).toBe(raw.size)
    for (const row of rowLines) {
      const truth = raw.get(keyOf(row, ['title_id', 'row']))
      expect(num(row.impressions)).toBe(num(truth?.i))
      expect(num(row.clicks)).toBe(num(truth?.c))
      if (num(truth?.i) > 0) expect(num(row.ctr)).toBeCloseTo(num(truth?.c) / num(truth?.i), 4)
    }
    const [plays] = await query("SELECT countIf(event_type = 'playback_start') AS n FROM pulse.client_events")
    expect(sumOf(engagement, 'plays')).toBe(num(plays?.n))
    const minutes = byKey(await query('SELECT title_id, round(sum(played_ms) / 60000, 1) AS m FROM pulse.playback_sessions FINAL GROUP BY title_id'), ['title_id'])
    const playbackLines = engagement.filter((row) => row.row === '(playback)')
    expect(playbackLines.length).toBeGreaterThan(0)
    for (const row of playbackLines) expect(num(row.minutes_played), String(row.title_id)).toBe(num(minutes.get(String(row.title_id))?.m ?? 0))
  })

  it('ab-comparison: counts per cell equal engagement_1m, and the 95% interval is the Wald interval around the difference', async () => {
    const [chosen] = await query(`SELECT ab_test_id AS test, groupArray(ab_cell) AS cells FROM
      (SELECT ab_test_id, ab_cell FROM pulse.engagement_1m WHERE ab_test_id != '' GROUP BY ab_test_id, ab_cell ORDER BY ab_cell)
      GROUP BY ab_test_id ORDER BY length(cells) DESC, test LIMIT 1`)
    const test = String(chosen?.test)
    const [a = '', b = ''] = chosen?.cells as string[]
    for (const metric of ['ctr', 'plays_per_impression']) {
      const [result] = await report('ab-comparison', '--param', `test=${test}`, '--param', `cell_a=${a}`, '--param', `cell_b=${b}`, '--param', `metric=${metric}`)
      const counts = byKey(await query(`SELECT ab_cell, sum(impressions) AS i, sum(clicks) AS c, sum(plays) AS p FROM pulse.engagement_1m WHERE ab_test_id = '${test}' GROUP BY ab_cell`), ['ab_cell'])
      const success = metric === 'ctr' ? 'c' : 'p'
      expect([result?.test, result?.cell_a, result?.cell_b]).toEqual([test, a, b])
      expect(num(result?.trials_a)).toBe(num(counts.get(a)?.i))
      expect(num(result?.trials_b)).toBe(num(counts.get(b)?.i))
      expect(num(result?.successes_a)).toBe(num(counts.get(a)?.[success]))
      expect(num(result?.successes_b)).toBe(num(counts.get(b)?.[success]))
      const pa = num(result?.successes_a) / num(result?.trials_a)
      const pb = num(result?.successes_b) / num(result?.trials_b)
      const margin = 1.96 * Math.sqrt((pa * (1 - pa)) / num(result?.trials_a) + (pb * (1 - pb)) / num(result?.trials_b))
      expect(num(result?.diff_b_minus_a)).toBeCloseTo(pb - pa, 3)
      expect(num(result?.ci95_low)).toBeCloseTo(pb - pa - margin, 3)
      expect(num(result?.ci95_high)).toBeCloseTo(pb - pa + margin, 3)
      expect(num(result?.ci95_low)).toBeLessThanOrEqual(num(result?.diff_b_minus_a))
      expect(num(result?.ci95_high)).toBeGreaterThanOrEqual(num(result?.diff_b_minus_a))
    }
    // With no parameters it picks a test and two of its cells by itself.
    const [picked] = await report('ab-comparison')
    expect(String(picked?.test)).not.toBe('')
    expect(picked?.cell_a).not.toBe(picked?.cell_b)
  })

  it('top-talkers and rejected-flows: flows and bytes equal sums over raw network_flows', async () => {
    const talkers = await report('top-talkers', '--param', 'top=10000')
    const raw = byKey(await query("SELECT src_app, dst_app, count() AS n, sum(bytes) AS b FROM pulse.network_flows WHERE log_status = 'OK' GROUP BY src_app, dst_app"), ['src_app', 'dst_app'])
    expect(talkers.length).toBe(raw.size)
    for (const row of talkers) {
      expect(num(row.bytes)).toBe(num(raw.get(keyOf(row, ['src_app', 'dst_app']))?.b))
      expect(num(row.flows)).toBe(num(raw.get(keyOf(row, ['src_app', 'dst_app']))?.n))
    }
    const [top] = await report('top-talkers', '--param', 'top=1')
    expect(num(top?.bytes)).toBe(Math.max(...[...raw.values()].map((row) => num(row.b))))

    const rejected = await report('rejected-flows', '--param', 'top=10000')
    const key = ['src_app', 'dst_app', 'dst_port', 'protocol']
    const rawRejected = byKey(await query("SELECT src_app, dst_app, dst_port, protocol, count() AS n, sum(bytes) AS b FROM pulse.network_flows WHERE action = 'REJECT' AND log_status = 'OK' GROUP BY ALL"), key)
    expect(rejected.length).toBe(rawRejected.size)
    expect(rejected.length).toBeGreaterThan(0)
    for (const row of rejected) {
      expect(num(row.flows)).toBe(num(rawRejected.get(keyOf(row, key))?.n))
      expect(num(row.bytes)).toBe(num(rawRejected.get(keyOf(row, key))?.b))
    }
  })

  it('unknown-ip-share: the share of OK flows with an unknown side', async () => {
    const [share] = await report('unknown-ip-share')
    const [raw] = await query("SELECT count() AS n, sum(src_app = 'unknown' OR dst_app = 'unknown') AS u FROM pulse.network_flows WHERE log_status = 'OK'")
    expect(num(share?.flows)).toBe(num(raw?.n))
    expect(num(share?.flows_with_unknown)).toBe(num(raw?.u))
    expect(num(share?.unknown_share)).toBeCloseTo(num(raw?.u) / num(raw?.n), 4)
    expect(num(share?.unknown_share)).toBeGreaterThan(0)
    expect(num(share?.unknown_share)).toBeLessThan(0.5)
  })

  it('care-actions: the actions add up to care_actions FINAL in the window', async () => {
    const care = await report('care-actions')
    const [raw] = await query('SELECT count() AS n FROM pulse.care_actions FINAL WHERE action_time >= now() - INTERVAL 1 DAY')
    expect(num(raw?.n)).toBeGreaterThan(0)
    expect(sumOf(care, 'actions')).toBe(num(raw?.n))
    const [lastHour] = await query('SELECT count() AS n FROM pulse.care_actions FINAL WHERE action_time >= now() - INTERVAL 1 HOUR')
    expect(sumOf(await rows(['report', 'care-actions']), 'actions')).toBe(num(lastHour?.n))
  })

  it('pipeline-health: dead letters and arrival classes equal the tables; freshness and lag are sane', async () => {
    const health = await report('pipeline-health')
    const dead = byKey(await query('SELECT stage AS subject, reason AS detail, count() AS n FROM pulse.dead_letters GROUP BY stage, reason'), ['subject', 'detail'])
    const shownDead = health.filter((row) => row.check === 'dead_letters')
    expect(shownDead.length).toBe(dead.size)
    for (const row of shownDead) expect(num(row.rows)).toBe(num(dead.get(keyOf(row, ['subject', 'detail']))?.n))
    expect(num(dead.get('decode|test_reason')?.n)).toBe(2)

    const arrival = byKey(await query('SELECT arrival AS detail, count() AS n FROM pulse.client_events GROUP BY arrival'), ['detail'])
    for (const row of health.filter((candidate) => candidate.check === 'arrival')) expect(num(row.rows)).toBe(num(arrival.get(String(row.detail))?.n))

    for (const table of ['client_events', 'network_flows']) {
      const fresh = health.find((row) => row.check === 'freshness' && row.subject === table)
      expect(num(fresh?.freshness_s), table).toBeGreaterThanOrEqual(0)
      expect(num(fresh?.lag_p50_s), table).toBeLessThanOrEqual(num(fresh?.lag_p99_s))
      expect(num(fresh?.lag_p99_s), table).toBeLessThan(120)
    }
  })
})
