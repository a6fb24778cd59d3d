import { describe, expect, it } from 'vitest'
import { checkFormatName, runReport } from '../../../cli/report.ts'
import { loadConfig } from '../../../runtime/config.ts'
import { ConfigError } from '../../../runtime/errors.ts'

describe('pulse report --format', () => {
  it('takes format names', () => {
    for (const format of ['TSV', 'JSONEachRow', 'PrettyCompactMonoBlock', 'CSVWithNames']) expect(() => checkFormatName(format)).not.toThrow()
  })

  it('refuses anything that could carry a second statement, before connecting anywhere', async () => {
    for (const format of ['TSV; DROP TABLE pulse.flows_1m', 'TSV\nSELECT 1', 'TSV -- x', '', '`TSV`']) expect(() => checkFormatName(format), format).toThrow(ConfigError)
    // A data directory that does not exist: the refusal must come before any engine is opened.
    const config = loadConfig({ flags: { 'data-dir': '/nonexistent/pulse-report-format' } })
    await expect(runReport(config, { name: 'qoe-overview', since: undefined, params: [], format: 'TSV; DROP TABLE pulse.flows_1m' }, process.stdout)).rejects.toThrow(/--format takes a ClickHouse format name/)
  })
})
