// Small process and file helpers shared by the jar fetcher and the broker supervisor.
import { spawn } from 'node:child_process'
import { constants as fsConstants } from 'node:fs'
import { access, open, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

export interface CommandResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly output: string
}

/** Runs a command to completion, keeping stdout and stderr interleaved for error messages. */
export function runCommand(command: string, args: readonly string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolve({ code, signal, output: Buffer.concat(chunks).toString('utf8') })
    })
  })
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n')
}

/** The last lines of a log file; only its end is read because a long-running broker's log can be big. */
export async function tailFile(file: string, count = 40): Promise<string> {
  const maxBytes = 64 * 1024
  try {
    const handle = await open(file, 'r')
    try {
      const { size } = await handle.stat()
      const length = Math.min(size, maxBytes)
      const buffer = Buffer.alloc(length)
      await handle.read(buffer, 0, length, size - length)
      return lastLines(buffer.toString('utf8'), count)
    } finally {
      await handle.close()
    }
  } catch {
    return ''
  }
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.F_OK)
    return true
  } catch {
    return false
  }
}

export async function readPidFile(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export async function writePidFile(pidFile: string, pid: number): Promise<void> {
  await writeFile(pidFile, `${pid}\n`)
}

export async function removePidFile(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true })
}

/**
 * Whether a process is alive. A zombie counts as gone: a broker whose parent never reaps it (PID 1 in a
 * container often doesn't) still answers kill(pid, 0) but will never serve again.
 */
export async function isProcessRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM means it exists but belongs to someone else: alive, though certainly not ours.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (stat === undefined) return true
  // The state letter follows the command name, which is in parentheses and may itself contain spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state !== 'Z' && state !== 'X'
}

/**
 * Whether `pid` is the broker we started with this `server.properties`. A stale pidfile can name a pid
 * the OS has since given to an unrelated process; signalling that one would be a nasty surprise.
 * Where /proc is missing (macOS) we can only trust liveness.
 */
export async function isBrokerProcess(pid: number, serverProperties: string): Promise<boolean> {
  if (!(await isProcessRunning(pid))) return false
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined)
  if (cmdline === undefined) return !(await fileExists('/proc/self'))
  const args = cmdline.split('\0')
  return args.includes('kafka.Kafka') && args.includes(serverProperties)
}

/** Whether nothing listens on host:port yet; Node sets SO_REUSEADDR, as Kafka does, so TIME_WAIT is no obstacle. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => {
      resolve(false)
    })
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => {
        resolve(true)
      })
    })
  })
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves a bare command name through PATH, as the shell would, so its real file can be inspected. */
export async function resolveExecutable(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (command.includes(path.sep)) return (await isExecutable(command)) ? path.resolve(command) : undefined
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue
    const candidate = path.join(dir, command)
    if (await isExecutable(candidate)) return candidate
  }
  return undefined
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK)
    return true
  } catch {
    return false
  }
}
