// The `pulse process` children of one scenario, each a real OS process with Pulse's V8 flags and its
// output in a file of the run directory. A slot is one member (of the consumer group, or of the lease table):
// killing a slot SIGKILLs its process, restarting spawns a fresh one in its place. Peak RSS (VmHWM) is
// read from /proc while each process lives, so a killed one's peak is kept.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PULSE_NODE_FLAGS } from '../runtime/node-flags.ts'
import { heldPartitions } from './held.ts'
import { logFile } from './logs.ts'

const PULSE_BIN = fileURLToPath(new URL('../bin/pulse.js', import.meta.url))
const EXIT_TIMEOUT_MS = 30_000

export interface ProcessorSettings {
  runDir: string
  /** The `pulse` arguments of every member (processor-args.ts). */
  args: readonly string[]
  /** Each slot's metrics port, the same across its restarts: what a member holds is read there (held.ts). */
  metricsPorts: readonly number[]
}

interface Slot {
  child: ChildProcess
  log: string
  exited: Promise<void>
  /** Set when the harness itself stopped this process (a kill, a fence it provoked, the end). */
  expected: boolean
  exit?: string
  exitedAt?: number
}

export interface UnexpectedExit {
  slot: number
  code: number | null
  signal: string | null
  log: string
}

export function peakRssOf(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024
  } catch {
    return 0 // already gone
  }
}

/** Every fleet with live children, so an interrupted run can kill them all (killAllProcessors). */
const fleets = new Set<ProcessorFleet>()

/** SIGKILLs every processor of every fleet at once: the harness is being interrupted. */
export function killAllProcessors(): void {
  for (const fleet of fleets) fleet.killNow()
}

export class ProcessorFleet {
  private readonly slots: (Slot | undefined)[] = []
  private peakRss = 0
  /** Set by stopAll: nothing is restarted after it. */
  private stopping = false
  readonly unexpected: UnexpectedExit[] = []
  readonly logs: string[] = []

  constructor(private readonly settings: ProcessorSettings) {
    fleets.add(this)
  }

  /** SIGCONT and SIGKILL every live child without waiting (an interrupted run). */
  killNow(): void {
    this.slots.forEach((slot) => {
      if (slot === undefined) return
      slot.expected = true
      slot.child.kill('SIGCONT')
      slot.child.kill('SIGKILL')
    })
  }

  start(index: number): void {
    const log = logFile(this.settings.runDir, `processor-${index}`)
    const port = this.settings.metricsPorts[index]
    if (port === undefined) throw new Error(`no metrics port for processor slot ${index}`)
    const child = spawn(process.execPath, [...PULSE_NODE_FLAGS, PULSE_BIN, ...this.settings.args, '--metrics-port', String(port)], { stdio: ['ignore', log.fd, log.fd] })
    closeSync(log.fd)
    this.logs.push(log.path)
    const slot: Slot = { child, log: log.path, exited: Promise.resolve(), expected: false }
    slot.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        slot.exitedAt = Date.now()
        slot.exit = signal === null ? `code ${String(code)}` : `on ${signal}`
        if (!slot.expected) this.unexpected.push({ slot: index, code, signal, log: log.path })
        resolve()
      }),
    )
    this.slots[index] = slot
  }

  /**
   * Starts the slot again once its current process exits, unless the scenario is stopping by then:
   * a fenced zombie can take longer to exit than the harness waits for it, and a slot left empty
   * would leave the group a member short for the rest of the scenario. Resolves with how it ended.
   */
  restartWhenExited(index: number): Promise<string> {
    const slot = this.slots[index]
    if (slot === undefined) return Promise.resolve('not started')
    return slot.exited.then(() => {
      if (!this.stopping && this.slots[index] === slot) this.start(index)
      return slot.exit ?? 'running'
    })
  }

  /** True when every slot's process is running (none between a kill or an exit and its restart). */
  allAlive(): boolean {
    return this.settings.metricsPorts.every((_, index) => this.alive(index))
  }

  /** What every member holds, per stream; undefined while one is down or does not answer. */
  async held(): Promise<Map<string, number> | undefined> {
    if (!this.allAlive()) return undefined
    return heldPartitions(this.settings.metricsPorts)
  }

  pid(index: number): number | undefined {
    return this.slots[index]?.child.pid
  }

  alive(index: number): boolean {
    const child = this.slots[index]?.child
    return child !== undefined && child.exitCode === null && child.signalCode === null
  }

  /** Reads every live child's VmHWM; call often (each progress poll) so no peak is missed. */
  sampleRss(): void {
    for (const slot of this.slots) this.peakRss = Math.max(this.peakRss, peakRssOf(slot?.child.pid))
  }

  peakRssBytes(): number {
    this.sampleRss()
    return this.peakRss
  }

  /** Sends a signal the harness means (SIGKILL, SIGSTOP, SIGCONT); an exit after it is expected. */
  signal(index: number, name: NodeJS.Signals): void {
    const slot = this.slots[index]
    if (slot === undefined) return
    this.sampleRss()
    if (name === 'SIGKILL' || name === 'SIGCONT') slot.expected = true
    slot.child.kill(name)
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(index: number): Promise<void> {
    this.signal(index, 'SIGKILL')
    await this.waitExit(index)
  }

  async waitExit(index: number, timeoutMs = EXIT_TIMEOUT_MS): Promise<boolean> {
    const slot = this.slots[index]
    if (slot === undefined) return true
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const done = await Promise.race([slot.exited.then(() => true), timedOut])
    clearTimeout(timer)
    return done
  }

  /**
   * Restarts a slot whose process died on its own (recorded in `unexpected`) 2 s after, so the drain
   * goes on, without a restart loop while what killed it (an outage) lasts.
   */
  restartDead(): void {
    this.slots.forEach((slot, index) => {
      if (slot?.exitedAt !== undefined && !slot.expected && Date.now() - slot.exitedAt > 2000) this.start(index)
    })
  }

  /**
   * The end of a scenario: SIGTERM every child (a stopped one is woken first), so each final flush
   * happens before the rows are counted; SIGKILL what has not exited after 30 s. Returns the slots
   * that had to be killed.
   */
  async stopAll(): Promise<number[]> {
    this.stopping = true
    const forced: number[] = []
    const live = this.slots.map((_, index) => index).filter((index) => this.alive(index))
    for (const index of live) {
      const slot = this.slots[index]
      if (slot === undefined) continue
      slot.expected = true
      slot.child.kill('SIGCONT')
      slot.child.kill('SIGTERM')
    }
    for (const index of live) {
      if (await this.waitExit(index)) continue
      forced.push(index)
      this.signal(index, 'SIGKILL')
      await this.waitExit(index)
    }
    fleets.delete(this)
    return forced
  }
}
