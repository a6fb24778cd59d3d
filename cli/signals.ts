// When to stop: the first Ctrl-C (or SIGTERM, or the --duration timer) asks for a clean stop; a
// second one aborts what is still waiting (e.g. inserts retrying against a ClickHouse that is down).

export interface StopControl {
  stopped: Promise<void>
  stop(): void
  hardStop: AbortSignal
  /** True once Ctrl-C or SIGTERM asked for the stop (not the --duration timer or a fatal error). */
  readonly byUser: boolean
  /** Starts the --duration clock now (pulse run starts it once traffic flows, not during set-up). */
  startClock(durationSeconds: number | undefined): void
  dispose(): void
}

export function stopSignal(durationSeconds: number | undefined): StopControl {
  const hard = new AbortController()
  let resolveStopped: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve))
  let requested = false
  let byUser = false
  const stop = (): void => {
    if (requested) hard.abort()
    requested = true
    resolveStopped()
  }
  const stopByUser = (): void => {
    byUser = true
    stop()
  }
  let timer = durationSeconds === undefined ? undefined : setTimeout(stop, durationSeconds * 1000)
  process.on('SIGINT', stopByUser)
  process.on('SIGTERM', stopByUser)
  return {
    stopped,
    stop,
    hardStop: hard.signal,
    get byUser() {
      return byUser
    },
    startClock: (seconds) => {
      if (timer !== undefined) clearTimeout(timer)
      timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000)
    },
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer)
      process.off('SIGINT', stopByUser)
      process.off('SIGTERM', stopByUser)
    },
  }
}
