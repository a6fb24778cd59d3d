// When to stop: the first Ctrl-C (or SIGTERM, or the --duration timer) asks for a clean stop; a
// second one aborts what is still waiting (e.g. inserts retrying against a ClickHouse that is down).

export interface StopControl {
  stopped: Promise<void>
  stop(): void
  hardStop: AbortSignal
  /** Starts the --duration clock now (pulse run starts it once traffic flows, not during set-up). */
  startClock(durationSeconds: number | undefined): void
  dispose(): void
}

export function stopSignal(durationSeconds: number | undefined): StopControl {
  const hard = new AbortController()
  let resolveStopped: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve))
  let requested = false
  const stop = (): void => {
    if (requested) hard.abort()
    requested = true
    resolveStopped()
  }
  let timer = durationSeconds === undefined ? undefined : setTimeout(stop, durationSeconds * 1000)
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  return {
    stopped,
    stop,
    hardStop: hard.signal,
    startClock: (seconds) => {
      if (timer !== undefined) clearTimeout(timer)
      timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000)
    },
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer)
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    },
  }
}
