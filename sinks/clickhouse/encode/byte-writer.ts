// A growing byte buffer that insert bodies are written into value by value. Strings are encoded to
// UTF-8 here, in a loop the JIT compiles, rather than by a Buffer.write call per value: a block has
// hundreds of thousands of short strings and each call into C++ would cost more than the copy.

export class ByteWriter {
  buf: Buffer
  pos = 0

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity))
  }

  /** Makes room for `bytes` more bytes. */
  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes))
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }

  byte(value: number): void {
    this.ensure(1)
    this.buf[this.pos++] = value
  }

  /** Text known to be ASCII (numbers, keywords). */
  ascii(text: string): void {
    this.ensure(text.length)
    const { buf } = this
    let at = this.pos
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i)
    this.pos = at
  }

  /** A non-negative integer below 2^53 in decimal, without making a string of it. */
  decimal(value: number): void {
    this.ensure(16)
    const { buf } = this
    if (value < 10) {
      buf[this.pos++] = 48 + value
      return
    }
    let digits = 0
    for (let rest = value; rest >= 1; rest = Math.floor(rest / 10)) digits++
    let at = this.pos + digits
    this.pos = at
    for (let rest = value; rest >= 1; rest = Math.floor(rest / 10)) buf[--at] = 48 + (rest % 10)
  }

  /** The bytes written so far; the writer must not be used after. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos)
  }
}

/** UTF-8 bytes `text` takes; a lone surrogate counts as U+FFFD (3 bytes), as utf8Into writes it. */
export function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) continue
    if (code < 0x800) bytes += 1
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 2
      i++
    } else bytes += 2
  }
  return bytes
}

/**
 * Writes `text[from..]` as UTF-8 at `at` (room already ensured: 3 bytes per UTF-16 unit) and returns
 * the position after it. A lone surrogate, which UTF-8 cannot hold, becomes U+FFFD, as Buffer.from and
 * TextEncoder make it: the text formats and RowBinary then store the same bytes.
 */
export function utf8Into(buf: Buffer, at: number, text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code < 0x80) buf[at++] = code
    else if (code < 0x800) {
      buf[at++] = 0xc0 | (code >> 6)
      buf[at++] = 0x80 | (code & 0x3f)
    } else {
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = text.charCodeAt(i + 1)
        if (code <= 0xdbff && isLowSurrogate(next)) {
          const point = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00)
          buf[at++] = 0xf0 | (point >> 18)
          buf[at++] = 0x80 | ((point >> 12) & 0x3f)
          buf[at++] = 0x80 | ((point >> 6) & 0x3f)
          buf[at++] = 0x80 | (point & 0x3f)
          i++
          continue
        }
        code = 0xfffd
      }
      buf[at++] = 0xe0 | (code >> 12)
      buf[at++] = 0x80 | ((code >> 6) & 0x3f)
      buf[at++] = 0x80 | (code & 0x3f)
    }
  }
  return at
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}
