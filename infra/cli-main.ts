// The tail every infra command line shares: run main with the arguments, exit with its code, and
// end a failure with one line (the error's message) and exit 1, never a stack trace or a hang.
export function runCli(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error))
      process.exitCode = 1
    },
  )
}

/** A port from a flag or the environment; undefined when unset; `allowZero` for "any free port". */
export function parsePort(name: string, raw: string | undefined, allowZero = false): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const port = Number(raw)
  const low = allowZero ? 0 : 1
  if (!Number.isInteger(port) || port < low || port > 65535) throw new Error(`${name} must be a port number (${low}-65535), got '${raw}'`)
  return port
}
