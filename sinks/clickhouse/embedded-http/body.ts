// The request body as bytes, decoded per Content-Encoding (gzip, deflate, br, and zstd where this Node
// has it). An encoding this interface cannot decode is an error, never a silently empty query.
import type { IncomingMessage } from 'node:http'
import { pipeline } from 'node:stream/promises'
import { Writable, type Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import { ClickHouseHttpError, CODES } from './errors.ts'

export const MAX_BODY_BYTES = 256 * 1024 * 1024

type Decoder = () => Transform

const zstd = (zlib as { createZstdDecompress?: Decoder }).createZstdDecompress

const DECODERS: Record<string, Decoder | undefined> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
  zstd,
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const encodings = (request.headers['content-encoding'] ?? '').split(',').map((item) => item.trim().toLowerCase()).filter((item) => item !== '' && item !== 'identity')
  const decoders = encodings.reverse().map((encoding) => {
    const decoder = DECODERS[encoding]
    if (decoder === undefined) throw new ClickHouseHttpError(CODES.UNKNOWN_COMPRESSION_METHOD, `Unknown HTTP Content-Encoding '${encoding}': Pulse's embedded interface decodes gzip, deflate, br${zstd === undefined ? '' : ', zstd'}. (UNKNOWN_COMPRESSION_METHOD)`)
    return decoder()
  })
  const chunks: Buffer[] = []
  let size = 0
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.byteLength
      if (size > MAX_BODY_BYTES) {
        done(new ClickHouseHttpError(CODES.QUERY_IS_TOO_LARGE, `Request body is larger than ${MAX_BODY_BYTES} bytes. (QUERY_IS_TOO_LARGE)`))
        return
      }
      chunks.push(chunk)
      done()
    },
  })
  try {
    await pipeline([request, ...decoders, collect])
  } catch (error) {
    if (error instanceof ClickHouseHttpError) throw error
    throw new ClickHouseHttpError(CODES.UNKNOWN_COMPRESSION_METHOD, `Cannot decode the request body (Content-Encoding: ${encodings.join(', ')}): ${error instanceof Error ? error.message : String(error)}. (UNKNOWN_COMPRESSION_METHOD)`)
  }
  return Buffer.concat(chunks)
}
