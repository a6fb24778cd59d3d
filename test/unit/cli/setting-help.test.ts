// `pulse --help` reads each setting's description, default and allowed values from the config schema.
import { describe, expect, it } from 'vitest'
import { settingHelp } from '../../../cli/setting-help.ts'
import { loadConfig, SETTING_BINDINGS } from '../../../runtime/config.ts'

function help(flag: string): string {
  const binding = SETTING_BINDINGS.find((candidate) => candidate.flag === flag)
  if (binding === undefined) throw new Error(`no setting --${flag}`)
  return settingHelp(binding)
}

describe('setting help', () => {
  it('gives every setting a description from the schema', () => {
    for (const binding of SETTING_BINDINGS) expect(settingHelp(binding), binding.flag).toMatch(new RegExp(`--${binding.flag}\\s+\\S.{8,}`))
  })

  it('shows the defaults the loader applies, allowed values and the variable', () => {
    const defaults = loadConfig({})
    expect(help('batch-rows')).toContain(`default ${defaults.clickhouse.batchRows};`)
    expect(help('idle-timeout-ms')).toContain(`default ${defaults.processing.idleTimeoutMs};`)
    expect(help('source')).toContain('one of kinesis|kafka; PULSE_SOURCE')
    expect(help('clickhouse')).toContain('default unset')
    expect(help('log-level')).toContain('one of fatal|error|warn|info|debug|trace')
  })
})
