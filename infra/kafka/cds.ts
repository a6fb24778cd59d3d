// Application class-data sharing (AppCDS) for the broker JVM. Measured here: start-to-ready fell from
// ~2.0 s to ~1.35 s once the ~50 MB archive of Kafka's loaded classes existed. Java 17 can only write a
// dynamic archive at JVM exit (-XX:ArchiveClassesAtExit), so the first broker of a version writes it into
// its data dir as it stops, and stop promotes it into the version's cache folder.
//
// A truncated archive makes the JVM abort at start (seen: exit 134), so an archive is promoted only after
// a clean exit and after a throwaway JVM has mapped it with -Xshare:on, and via an atomic rename.
import { createHash, randomBytes } from 'node:crypto'
import { copyFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileExists, resolveExecutable, runCommand } from './process.ts'

export interface CdsPlan {
  /** JVM flags to add to the broker's command line. */
  readonly flags: readonly string[]
  /** The cached archive the JVM will map, if any (deleted by the caller if the JVM then dies). */
  readonly usingArchive?: string
}

/**
 * The archive is only valid for the exact JDK build that wrote it; keying its name by the java binary
 * makes a JDK upgrade produce a fresh archive instead of the JVM silently ignoring the old one.
 */
export async function archivePath(cacheVersionDir: string, javaCommand: string): Promise<string | undefined> {
  const java = await resolveExecutable(javaCommand)
  if (java === undefined) return undefined
  const info = await stat(java)
  const key = createHash('sha256').update(`${java}:${info.size}:${info.mtimeMs}`).digest('hex').slice(0, 12)
  return path.join(cacheVersionDir, `kafka-${key}.jsa`)
}

export async function planClassDataSharing(archive: string | undefined, pendingArchive: string): Promise<CdsPlan> {
  if (archive === undefined) return { flags: [] }
  // Dynamic archives log a few harmless "Skipping class" warnings; keep only real errors in stdout.log.
  const quiet = '-Xlog:cds*=error'
  if (await fileExists(archive)) return { flags: [`-XX:SharedArchiveFile=${archive}`, quiet], usingArchive: archive }
  await rm(pendingArchive, { force: true })
  return { flags: [`-XX:ArchiveClassesAtExit=${pendingArchive}`, quiet] }
}

export interface PromoteOptions {
  readonly pendingArchive: string
  readonly archive: string
  readonly javaCommand: string
  /** The broker's exact JVM flags and classpath: CDS refuses an archive whose classpath differs. */
  readonly jvmArgs: readonly string[]
}

/** Moves a freshly written archive into the cache if it maps cleanly; otherwise discards it. */
export async function promoteArchive(options: PromoteOptions): Promise<void> {
  const { pendingArchive, archive } = options
  if (!(await fileExists(pendingArchive))) return
  try {
    if ((await fileExists(archive)) || !(await archiveIsSound(pendingArchive, options.javaCommand, options.jvmArgs))) return
    // Copy next to the target first: the data dir may be on another filesystem than the cache.
    const staging = `${archive}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
    await copyFile(pendingArchive, staging)
    await rename(staging, archive)
  } finally {
    await rm(pendingArchive, { force: true })
  }
}

/**
 * Maps the archive in a throwaway JVM; -Xshare:on turns any mismatch or damage into a non-zero exit.
 * A damaged archive crashes this JVM, so its crash report and core dump are suppressed: they would only
 * litter the cache with files about a crash we expect.
 */
export async function archiveIsSound(archive: string, javaCommand: string, jvmArgs: readonly string[]): Promise<boolean> {
  const args = [...jvmArgs, '-XX:ErrorFile=/dev/null', '-XX:-CreateCoredumpOnCrash', '-Xshare:on', `-XX:SharedArchiveFile=${archive}`, '-version']
  const result = await runCommand(javaCommand, args, path.dirname(archive)).catch(() => undefined)
  return result?.code === 0
}
