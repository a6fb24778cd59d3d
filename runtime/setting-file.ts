// Files named by settings (CA certificates, client keys, password files) are read once at start-up.
// A file that cannot be read is one line naming the setting and the path, never its contents.
import { readFileSync } from 'node:fs'
import { ConfigError } from './errors.ts'

export function readSettingFile(path: string, setting: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new ConfigError(`invalid setting ${setting} (--${flag}): cannot read ${path} (${reason})`)
  }
}

/** A password file as secret managers and Docker/Kubernetes secrets write it: one trailing newline is not part of it. */
export function readSecretFile(path: string, setting: string, flag: string): string {
  const secret = readSettingFile(path, setting, flag).replace(/\r?\n$/, '')
  if (secret === '') throw new ConfigError(`invalid setting ${setting} (--${flag}): ${path} is empty`)
  return secret
}
