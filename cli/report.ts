// `pulse report [NAME]`: runs one of the named questions in sinks/clickhouse/reports/ against the same
// ClickHouse `pulse query` reads (the data directory, a live run's query port, or a server), or lists
// them. `--since 30m` becomes the `since` parameter; `--param name=value` sets any other.
import type { Config } from '../runtime/config.ts'
import { ConfigError } from '../runtime/errors.ts'
import { bindReport, loadReports, type Report } from '../sinks/clickhouse/reports/library.ts'
import { openQueryClient } from './query.ts'

export interface ReportRequest {
  name: string | undefined
  since: string | undefined
  params: readonly string[]
  format: string
}

const DEFAULT_SINCE = '1h'
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

export async function runReport(config: Config, request: ReportRequest, out: NodeJS.WritableStream, now = Date.now()): Promise<void> {
  checkFormatName(request.format)
  const reports = loadReports()
  if (request.name === undefined) {
    out.write(listing(reports))
    return
  }
  const report = reports.find((candidate) => candidate.name === request.name)
  if (report === undefined) throw new ConfigError(`no report "${request.name}"; \`pulse report\` lists them: ${reports.map((candidate) => candidate.name).join(', ')}`)
  const given = parseParams(request.params)
  if (report.params.some((param) => param.name === 'since') && !('since' in given)) given.since = String(Math.floor(now / 1000) - sinceSeconds(request.since ?? DEFAULT_SINCE))
  let bound: ReturnType<typeof bindReport>
  try {
    bound = bindReport(report, config.clickhouse.database, given)
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error))
  }
  const { client, close } = openQueryClient(config)
  try {
    const result = await client.exec({ query: `${bound.sql}\nFORMAT ${request.format}`, query_params: bound.params })
    for await (const chunk of result.stream) out.write(chunk as Buffer)
  } finally {
    await close()
  }
}

export function listing(reports: readonly Report[]): string {
  const width = Math.max(...reports.map((report) => report.name.length))
  const lines = reports.map((report) => {
    const extra = report.params.filter((param) => param.name !== 'since').map((param) => `${param.name}${param.default === undefined ? '' : `=${param.default === '' ? '""' : param.default}`}`)
    return `  ${report.name.padEnd(width)}  ${report.summary}${extra.length > 0 ? `\n  ${''.padEnd(width)}  params: ${extra.join(' ')}` : ''}`
  })
  return `Reports (pulse report NAME [--since 1h|30m|7d] [--param name=value] [--format FMT]):\n${lines.join('\n')}\n`
}

/**
 * --format is appended to the report's SQL as `FORMAT NAME`, so it must be a format name and nothing
 * else: `TSV; DROP TABLE …` would otherwise run a second statement.
 */
export function checkFormatName(format: string): void {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(format)) throw new ConfigError(`--format takes a ClickHouse format name such as TSV, CSV, JSONEachRow or PrettyCompact, got ${JSON.stringify(format)}`)
}

/** `1h`, `30m`, `7d`, `90s` → seconds; the window is always relative to now. */
export function sinceSeconds(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim())
  if (match === null) throw new ConfigError(`--since takes a duration such as 30m, 1h or 7d, got "${text}"`)
  return Number(match[1]) * (UNIT_SECONDS[String(match[2])] ?? 1)
}

export function parseParams(items: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {}
  for (const item of items) {
    const at = item.indexOf('=')
    if (at <= 0) throw new ConfigError(`--param takes name=value, got "${item}"`)
    params[item.slice(0, at).replaceAll('-', '_')] = item.slice(at + 1)
  }
  return params
}
