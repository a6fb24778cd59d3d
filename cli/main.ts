// Entry of the `pulse` command: parses the command line and configuration once, then runs one command.
// Errors a user can fix (bad settings) print one line; anything else is logged with its cause.
import { loadConfig, type Config } from '../runtime/config.ts'
import { createLogger } from '../runtime/logger.ts'
import { createRegistry } from '../runtime/metrics.ts'
import { ConfigError } from '../runtime/errors.ts'
import { parseCommandLine } from './args.ts'
import { usage } from './usage.ts'
import { runAll } from './run.ts'
import { runQuery } from './query.ts'
import { runReport } from './report.ts'
import { runMigrate } from './migrate.ts'
import { runProcess } from './process.ts'
import { parseTrafficChoice, runProduce, runReplay } from './produce.ts'
import { runBench } from './bench.ts'
import { runLeases } from './leases.ts'
import { runCollect } from './collect.ts'
import { runDeadLetters } from './dead-letters.ts'

export async function main(argv: readonly string[]): Promise<number> {
  // The benchmark takes flags of its own (bench/index.ts), not Pulse's settings.
  if (argv[0] === 'bench') return runBench(argv.slice(1))
  let config: Config
  let parsed: ReturnType<typeof parseCommandLine>
  try {
    parsed = parseCommandLine(argv)
    if (parsed.flags.help === true || parsed.command === undefined || parsed.command === 'help') {
      process.stdout.write(usage())
      return parsed.command === undefined && parsed.flags.help !== true ? 2 : 0
    }
    const configFile = parsed.flags.config
    config = loadConfig({ flags: parsed.flags, env: process.env, ...(typeof configFile === 'string' ? { file: configFile } : {}) })
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pulse: ${error.message}\n`)
      return 2
    }
    throw error
  }
  const logger = createLogger({ level: config.logLevel })
  const runtime = { config, logger, registry: createRegistry() }
  try {
    switch (parsed.command) {
      case 'run':
        return await runAll(runtime, process.stdout)
      case 'query': {
        const written = await runQuery(config, parsed.positionals.join(' '), stringFlag(parsed.flags.format) ?? 'PrettyCompactMonoBlock', process.stdout)
        // An empty result prints nothing in most formats: say so, on stderr so a pipe stays clean.
        if (written === 0) process.stderr.write('0 rows\n')
        return 0
      }
      case 'report': {
        const request = { name: parsed.positionals[0], since: stringFlag(parsed.flags.since), params: parsed.params ?? [] }
        await runReport(config, { ...request, format: stringFlag(parsed.flags.format) ?? 'PrettyCompactMonoBlock' }, process.stdout)
        return 0
      }
      case 'process':
        return await runProcess(runtime, process.stdout)
      case 'produce': {
        const choice = parseTrafficChoice(parsed.positionals[0])
        const files = { flows: stringFlag(parsed.flags.file), assignments: stringFlag(parsed.flags.assignments) }
        if (files.flows === undefined && files.assignments === undefined) return await runProduce(runtime, choice, process.stdout)
        if (files.flows !== undefined && choice !== 'flows') throw new ConfigError('--file replays VPC flow logs: use `pulse produce flows --file PATH`')
        return await runReplay(runtime, files, process.stdout)
      }
      case 'leases':
        await runLeases(config, process.stdout)
        return 0
      case 'dead-letters': {
        const { flags } = parsed
        const request = { action: parsed.positionals[0], since: stringFlag(flags.since), stage: stringFlag(flags.stage), reason: stringFlag(flags.reason), ids: parsed.ids ?? [], toStream: stringFlag(flags['to-stream']), again: flags.again === true }
        return await runDeadLetters(runtime, request, process.stdout)
      }
      case 'collect':
        return await runCollect(runtime)
      case 'migrate':
        return await runMigrate(runtime, process.stdout)
      default:
        process.stderr.write(`pulse: unknown command "${parsed.command}"\n\n${usage()}`)
        return 2
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`pulse: ${error.message}\n`)
      return 2
    }
    const message = error instanceof Error ? error.message : String(error)
    // A query's or report's error is the user's SQL or parameters: one line, the details on request.
    const interactive = parsed.command === 'query' || parsed.command === 'report'
    if (!interactive || parsed.flags.verbose === true) logger.error({ err: error }, message)
    process.stderr.write(`pulse: ${oneLine(message)}\n`)
    return 1
  }
}

/** ClickHouse's messages can span lines (a stack trace of its own); the first one says what went wrong. */
function oneLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message
}

function stringFlag(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}
