// Every wait in the harness has a deadline and one line saying what it waited for: a stalled run
// fails with that line instead of hanging.
import { setTimeout as sleep } from 'node:timers/promises'

export class ChaosTimeout extends Error {
  override name = 'ChaosTimeout'
}

/** Polls `read` every `everyMs` until `done`; throws one line naming `what` and the last value. */
export async function waitFor<T>(what: string, timeoutMs: number, read: () => Promise<T>, done: (value: T) => boolean, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new ChaosTimeout(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last value: ${JSON.stringify(value)}`)
    await sleep(everyMs)
  }
}
