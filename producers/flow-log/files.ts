// The files a flow log replay reads, as AWS delivers them to S3: plain text or gzip-compressed
// (`.gz`, or any file starting with gzip's magic bytes), one file or a directory of them (walked
// recursively in name order, which for S3's keys is time order). `-` is standard input.
import { createReadStream } from 'node:fs'
import { open, readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/** Every file to read under `target`, in order; `-` stands for standard input. */
export async function flowLogFiles(target: string): Promise<string[]> {
  if (target === '-') return ['-']
  if (!(await stat(target)).isDirectory()) return [target]
  const entries = await readdir(target, { withFileTypes: true })
  const names = entries.filter((entry) => !entry.name.startsWith('.')).map((entry) => entry.name).sort()
  const files: string[] = []
  for (const name of names) files.push(...(await flowLogFiles(path.join(target, name))))
  return files
}

async function isGzip(file: string): Promise<boolean> {
  if (file.endsWith('.gz')) return true
  const handle = await open(file, 'r')
  try {
    const head = Buffer.alloc(2)
    const { bytesRead } = await handle.read(head, 0, 2, 0)
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    await handle.close()
  }
}

/** The lines of one file, decompressed when it is gzip. */
export async function fileLines(file: string): Promise<AsyncIterable<string>> {
  let input: Readable = file === '-' ? process.stdin : createReadStream(file)
  if (file !== '-' && (await isGzip(file))) input = input.pipe(createGunzip())
  input.setEncoding('utf8')
  return createInterface({ input, crlfDelay: Infinity })
}
