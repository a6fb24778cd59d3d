// Stops a child process Pulse or its tests started (the Kinesis emulator, a Prometheus server):
// SIGTERM, then SIGKILL if it has not exited after a grace period.
import type { ChildProcess } from 'node:child_process'

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}
