// Command-line parsing: flags come from the config bindings, --no-dedup switches dedup off, and an
// unknown or malformed flag is a ConfigError (exit code 2 in the CLI), not a crash.

import { describe, expect, it } from 'vitest'
import { parseCommandLine } from '../../../cli/args.ts'
import { loadConfig, SETTING_BINDINGS } from '../../../runtime/config.ts'
import { ConfigError } from '../../../runtime/errors.ts'

describe('parseCommandLine', () => {
  it('splits the command from its positionals and flags', () => {
    const parsed = parseCommandLine(['query', '--data-dir', '/tmp/d', 'SELECT 1', '--format', 'TSV'])
    expect(parsed.command).toBe('query')
    expect(parsed.positionals).toEqual(['SELECT 1'])
    expect(parsed.flags['data-dir']).toBe('/tmp/d')
    expect(parsed.flags.format).toBe('TSV')
  })

  it('has no command for an empty command line', () => {
    expect(parseCommandLine([])).toEqual({ command: undefined, positionals: [], flags: expect.any(Object) as unknown })
  })

  it('maps --no-dedup to dedup false', () => {
    expect(parseCommandLine(['run', '--no-dedup']).flags.dedup).toBe(false)
  })

  it('--no-dedup reaches the configuration as dedup off, over the environment', () => {
    const { flags } = parseCommandLine(['run', '--no-dedup'])
    expect(loadConfig({ flags, env: { PULSE_DEDUP: 'true' } }).clickhouse.dedup).toBe(false)
  })

  it('gives every boolean setting a --no- form (TLS verification off for a test broker)', () => {
    const { flags } = parseCommandLine(['process', '--kafka-ssl', '--no-kafka-ssl-reject-unauthorized'])
    expect(flags).toEqual({ 'kafka-ssl': true, 'kafka-ssl-reject-unauthorized': false })
    expect(loadConfig({ flags, env: { PULSE_KAFKA_SSL_REJECT_UNAUTHORIZED: 'true' } }).kafka.ssl).toEqual({ enabled: true, rejectUnauthorized: false })
  })

  it('leaves dedup unset without the flag, so lower sources decide', () => {
    const { flags } = parseCommandLine(['run'])
    expect(flags.dedup).toBeUndefined()
    expect(loadConfig({ flags, env: { PULSE_DEDUP: 'false' } }).clickhouse.dedup).toBe(false)
  })

  it('accepts every setting\'s flag', () => {
    for (const binding of SETTING_BINDINGS) {
      const argv = binding.type === 'boolean' ? [`--${binding.flag}`] : [`--${binding.flag}`, 'value']
      expect(parseCommandLine(['run', ...argv]).flags[binding.flag], binding.flag).toBe(binding.type === 'boolean' ? true : 'value')
    }
  })

  it('reads -h as --help', () => {
    expect(parseCommandLine(['-h']).flags.help).toBe(true)
  })

  it('turns an unknown flag into a one-line ConfigError naming it', () => {
    let caught: unknown
    try {
      parseCommandLine(['run', '--bogus-flag', '1'])
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    expect((caught as ConfigError).message).toContain('--bogus-flag')
    expect((caught as ConfigError).message).not.toContain('\n')
    expect((caught as ConfigError).retriable).toBe(false)
  })

  it('turns a value-taking flag without its value into a ConfigError', () => {
    expect(() => parseCommandLine(['run', '--shards'])).toThrow(ConfigError)
  })

  it('turns a value given to a boolean flag into a ConfigError', () => {
    expect(() => parseCommandLine(['run', '--dedup=false'])).toThrow(ConfigError)
  })
})
