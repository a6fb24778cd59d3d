// Bounds a wait without leaving its timer behind: the collector must answer while the client still
// listens, whatever the stream's own retries do meanwhile.

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new TimeoutError(ms)), ms)
  })
  try {
    return await Promise.race([work, expired])
  } finally {
    clearTimeout(timer)
    // The work goes on after a timeout; its late failure is already answered as a 503.
    work.catch(() => undefined)
  }
}
