// The report library and `pulse report`'s arguments: every shipped report is documented (title,
// summary, a Param line for each placeholder), binding fills defaults and refuses unknown or missing
// parameters, and --since / --param parse strictly.
import { describe, expect, it } from 'vitest'
import { bindReport, loadReports, parseReport } from '../../../sinks/clickhouse/reports/library.ts'
import { listing, parseParams, sinceSeconds } from '../../../cli/report.ts'
import { parseCommandLine } from '../../../cli/args.ts'

const EXAMPLE = `-- Title: Example
-- Summary: one line
-- What it answers.
-- Param since DateTime: start of the window
-- Param test String = "": a test id
-- Param top UInt32 = 10: how many
SELECT {top:UInt32}, {test:String} FROM {database}.t WHERE x >= {since:DateTime};
`

describe('report library', () => {
  it('ships the issue\'s reports, each documented and written against {database}', () => {
    const names = loadReports().map((report) => report.name)
    expect(names).toEqual(['ab-comparison', 'care-actions', 'engagement', 'pipeline-health', 'qoe-by-cdn', 'qoe-overview', 'rejected-flows', 'top-talkers', 'unknown-ip-share', 'worst-titles-and-cdns'])
    for (const report of loadReports()) {
      expect(report.about.join(' ').length, report.name).toBeGreaterThan(40)
      expect(report.sql, report.name).toContain('{database}.')
      expect(report.sql, report.name).not.toMatch(/\bpulse\./)
      expect(report.params.map((param) => param.name), report.name).toContain('since')
    }
  })

  it('parses the header: title, summary, free text and parameters with defaults', () => {
    const report = parseReport('example', EXAMPLE)
    expect(report).toMatchObject({ title: 'Example', summary: 'one line', about: ['What it answers.'] })
    expect(report.params).toEqual([
      { name: 'since', type: 'DateTime', default: undefined, description: 'start of the window' },
      { name: 'test', type: 'String', default: '', description: 'a test id' },
      { name: 'top', type: 'UInt32', default: '10', description: 'how many' },
    ])
    expect(report.sql.endsWith(';')).toBe(false)
  })

  it('refuses a placeholder without a Param line', () => {
    expect(() => parseReport('bad', '-- Title: t\n-- Summary: s\nSELECT {x:UInt8}')).toThrow(/\{x\} has no "-- Param" line/)
  })

  it('binds the database and parameters: given values, then defaults; unknown or missing ones fail', () => {
    const report = parseReport('example', EXAMPLE)
    const bound = bindReport(report, 'db', { since: '100', top: '3' })
    expect(bound.params).toEqual({ since: '100', test: '', top: '3' })
    expect(bound.sql).toContain('FROM db.t WHERE x >= {since:DateTime}')
    expect(bound.sql).not.toContain('{database}')
    expect(() => bindReport(report, 'db', { since: '1', nope: '2' })).toThrow(/no parameter "nope"/)
    expect(() => bindReport(report, 'db', {})).toThrow(/needs --param since=VALUE/)
  })

  it('lists every report on one line with its summary and non-window parameters', () => {
    const text = listing(loadReports())
    expect(text).toMatch(/^ {2}ab-comparison\s+one metric/m)
    expect(text).toContain('params: test="" cell_a="" cell_b="" metric=ctr')
  })
})

describe('pulse report arguments', () => {
  it('reads --since as a duration', () => {
    expect([sinceSeconds('90s'), sinceSeconds('30m'), sinceSeconds('1h'), sinceSeconds('7d')]).toEqual([90, 1800, 3600, 604_800])
    expect(() => sinceSeconds('1 hour')).toThrow(/--since takes a duration/)
  })

  it('reads repeated --param name=value, dashes in names as underscores', () => {
    const parsed = parseCommandLine(['report', 'ab-comparison', '--param', 'cell-a=x', '--param', 'metric=a=b', '--since', '2h'])
    expect(parsed.positionals).toEqual(['ab-comparison'])
    expect(parsed.flags.since).toBe('2h')
    expect(parseParams(parsed.params ?? [])).toEqual({ cell_a: 'x', metric: 'a=b' })
    expect(() => parseParams(['novalue'])).toThrow(/--param takes name=value/)
  })
})
