// Reads a request body within the size limit, undoing gzip on the way. The limit applies to the
// decompressed bytes too (zlib's maxOutputLength), so a small gzip bomb is refused like a large body.
import type { IncomingMessage } from 'node:http'
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'

const gunzipAsync = promisify(gunzip)

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 400 | 413 | 415; message: string }

export async function readBody(request: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(request.headers['content-length'] ?? NaN)
  if (declared > maxBytes) return tooLarge(maxBytes)
  const raw = await collect(request, maxBytes)
  if (raw === undefined) return tooLarge(maxBytes)
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase()
  if (encoding === 'identity') return { ok: true, body: raw }
  if (encoding !== 'gzip') return { ok: false, status: 415, message: `content-encoding ${encoding} is not supported (gzip is)` }
  try {
    return { ok: true, body: await gunzipAsync(raw, { maxOutputLength: maxBytes }) }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(maxBytes)
    return { ok: false, status: 400, message: `gzip body: ${(error as Error).message}` }
  }
}

function tooLarge(maxBytes: number): BodyResult {
  return { ok: false, status: 413, message: `body larger than ${maxBytes} bytes` }
}

/** The body's bytes, or undefined past `maxBytes` (the rest is left unread; the reply closes the connection). */
function collect(request: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  // Listeners rather than `for await`: the async iterator costs a promise per chunk on every request.
  return new Promise((done, fail) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= maxBytes) chunks.push(chunk)
      else {
        request.off('data', onData)
        request.pause()
        done(undefined)
      }
    }
    request.on('data', onData)
    request.once('end', () => done(size > maxBytes ? undefined : Buffer.concat(chunks, size)))
    request.once('error', fail)
  })
}
