// Write keys: the secret a client app ships with, mapped to the app it stands for. Read once at
// start-up from KEY=APP entries (settings or a file). Keys are compared only through the map and never
// logged; what the rest of the collector sees is the app.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../runtime/errors.ts'

export interface WriteKeys {
  /** The app of `key`, or undefined for an unknown key. */
  appOf(key: string): string | undefined
  readonly size: number
}

/** Parses KEY=APP entries; a malformed entry fails naming its position only (it holds a secret). */
export function parseKeyEntries(entries: readonly string[], where: string): Map<string, string> {
  const byKey = new Map<string, string>()
  entries.forEach((entry, index) => {
    const match = /^([^=\s]+)=([^=\s]+)$/.exec(entry.trim())
    if (match === null) throw new ConfigError(`write key entry ${index + 1} of ${where} is not KEY=APP`)
    byKey.set(match[1] as string, match[2] as string)
  })
  return byKey
}

export function readKeysFile(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read write keys file ${path}: ${(error as Error).message}`)
  }
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
}

export function loadWriteKeys(entries: readonly string[], file: string | undefined): WriteKeys {
  const byKey = parseKeyEntries(entries, 'collect.keys')
  if (file !== undefined) for (const [key, app] of parseKeyEntries(readKeysFile(file), file)) byKey.set(key, app)
  return { appOf: (key) => byKey.get(key), size: byKey.size }
}

/**
 * The key of a request: `Authorization: Bearer KEY`, or `?key=KEY` (sendBeacon cannot set headers).
 * `requestUrl` is the request's target; it is parsed only for a request without a Bearer key.
 */
export function requestKey(authorization: string | undefined, requestUrl: string): string | undefined {
  const bearer = authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1]
  return bearer ?? new URL(requestUrl, 'http://collector').searchParams.get('key') ?? undefined
}
