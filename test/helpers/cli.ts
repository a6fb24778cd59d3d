// Runs the real `pulse` command as a user would, in a child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { onTestFailed, onTestFinished } from 'vitest'

export const PULSE_BIN = fileURLToPath(new URL('../../bin/pulse.js', import.meta.url))
const run = promisify(execFile)

export async function pulse(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [PULSE_BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
}

export interface RunningPulse {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

export function spawnPulse(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningPulse {
  const child = spawn(process.execPath, [PULSE_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => output, exited }
}

/** A `pulse` child for one test: its output printed if the test fails, killed when the test ends. */
export function spawnPulseForTest(args: readonly string[]): RunningPulse {
  const running = spawnPulse(args)
  onTestFailed(() => {
    console.error(`--- output of pulse ${args.join(' ')}:\n${running.output()}`)
  })
  onTestFinished(() => {
    running.child.kill('SIGKILL')
  })
  return running
}
