import { describe, expect, it } from 'vitest'
import { isDirectoryTaken, openWhenFree } from '../../../sinks/clickhouse/directory-lock.ts'

// What chdb throws when another process holds the directory's status-file lock.
function taken(): Error {
  return new Error("Failed to create connection for path '/data'", { cause: new Error('Cannot lock file /data/status') })
}

describe('openWhenFree', () => {
  it('keeps trying while the directory is taken and returns what open returns once it is free', async () => {
    let attempts = 0
    const opened = await openWhenFree('/data', () => {
      attempts += 1
      if (attempts < 3) throw taken()
      return 'session'
    })
    expect(opened).toBe('session')
    expect(attempts).toBe(3)
  })

  it('passes any other failure through at once', async () => {
    let attempts = 0
    const refused = openWhenFree('/data', () => {
      attempts += 1
      throw new Error('disk full')
    })
    await expect(refused).rejects.toThrow('disk full')
    expect(attempts).toBe(1)
  })

  it('gives up after waitMs with a line that names the directory', async () => {
    const refused = openWhenFree('/data/pulse', () => Promise.reject(taken()), 300)
    await expect(refused).rejects.toThrow(/the data directory \/data\/pulse is held by another process/)
  })

  it('tells the lock apart from other connection errors', () => {
    expect(isDirectoryTaken(taken())).toBe(true)
    expect(isDirectoryTaken(new Error('Code: 60. Unknown table'))).toBe(false)
  })
})
