// Ports a role will listen on, checked before anything is set up: a busy port then fails at once,
// naming the flag to change, instead of after the emulator and streams are up (or as a stack trace
// from the emulator's own runtime).
import net from 'node:net'
import { ConfigError } from '../runtime/errors.ts'

export interface WantedPort {
  port: number
  host: string
  flag: string
}

function tryListen({ port, host }: WantedPort): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(undefined)))
  })
}

/** Throws a ConfigError naming the flag of the first wanted port that is taken (0 means any: skipped). */
export async function assertPortsFree(wanted: readonly WantedPort[]): Promise<void> {
  for (const entry of wanted) {
    if (entry.port === 0) continue
    const error = await tryListen(entry)
    if (error === undefined) continue
    const why = error.code === 'EADDRINUSE' ? 'is in use' : `cannot be opened (${error.code ?? error.message})`
    throw new ConfigError(`port ${entry.port} on ${entry.host} ${why}: choose another with --${entry.flag} (0 picks a free one)`)
  }
}
