// Writes Avro binary records one after another into shared slabs, so records cost no allocation of
// their own. Each finished record is a view of its slab, and a slab is only ever written forward: a
// full one is left to the views that hold it (and the GC), never rewound, so every view stays valid
// however long its holder keeps it (a transport's in-flight batch) and one writer can serve all requests.

/** Longs beyond this are not exact as JS numbers; avsc refuses them too (its safe range ends at 2^53 - 2). */
export const MAX_SAFE_LONG = 2 ** 53 - 2

// With the u flag a surrogate pair is one code point, so only a lone surrogate is in category Cs.
const LONE_SURROGATE = /\p{Cs}/u

export class AvroWriter {
  private buf: Buffer
  private pos = 0
  private start = 0

  constructor(private readonly slabBytes = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(slabBytes)
  }

  /** Begins a record with its single-object header (or any prefix). */
  begin(prefix: Buffer): void {
    this.start = this.pos
    this.room(prefix.length)
    prefix.copy(this.buf, this.pos)
    this.pos += prefix.length
  }

  /** The record begun last, as a view that later writes never change. */
  finish(): Buffer {
    return this.buf.subarray(this.start, this.pos)
  }

  /** Forgets the record begun last (it turned out invalid). */
  discard(): void {
    this.pos = this.start
  }

  /**
   * An int or long from 0 to 63, which zig-zag makes one byte: union branches and most enum indices.
   * Small enough for V8 to inline where a call to long() would stay a call.
   */
  small(n: number): void {
    this.room(1)
    this.buf[this.pos++] = n << 1
  }

  /** Avro int and long: zig-zag, then 7 bits a byte, low first. `n` must be an integer within ±MAX_SAFE_LONG. */
  long(n: number): void {
    this.room(10)
    const buf = this.buf
    if (n >= -0x40000000 && n < 0x40000000) {
      // Fits 31 bits after zig-zag: integer arithmetic.
      let m = n >= 0 ? n << 1 : (~n << 1) | 1
      while (m > 0x7f) {
        buf[this.pos++] = (m & 0x7f) | 0x80
        m >>>= 7
      }
      buf[this.pos++] = m
      return
    }
    // Beyond 31 bits the bit operators would truncate: one division splits off the low 28 bits (four
    // full bytes, since the rest is at least 2^30 / 2^28 > 0), and the rest fits the integer loop.
    // Epoch milliseconds, three per client event, are all of this kind.
    const f = n >= 0 ? n * 2 : -n * 2 - 1
    const low = f % 0x10000000
    let high = (f - low) / 0x10000000
    let at = this.pos
    buf[at++] = (low & 0x7f) | 0x80
    buf[at++] = ((low >>> 7) & 0x7f) | 0x80
    buf[at++] = ((low >>> 14) & 0x7f) | 0x80
    buf[at++] = ((low >>> 21) & 0x7f) | 0x80
    // high < 2^26: the integer operators are exact.
    while (high > 0x7f) {
      buf[at++] = (high & 0x7f) | 0x80
      high >>>= 7
    }
    buf[at++] = high
    this.pos = at
  }

  /**
   * Avro string: its UTF-8 length, then the bytes. False, writing nothing, for a lone surrogate: UTF-8
   * cannot carry it, and Buffer and avsc would each write something different in its place.
   */
  string(s: string): boolean {
    const length = s.length
    // Short ASCII strings, most ids and labels, are copied by hand: Buffer#write costs more than the copy.
    if (length < 64) {
      this.room(length + 1)
      const buf = this.buf
      const at = this.pos
      let i = 0
      for (; i < length; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) break
        buf[at + 1 + i] = c
      }
      if (i === length) {
        buf[at] = length << 1
        this.pos = at + 1 + length
        return true
      }
    }
    if (LONE_SURROGATE.test(s)) return false
    const bytes = Buffer.byteLength(s, 'utf8')
    this.long(bytes)
    this.room(bytes)
    this.pos += this.buf.write(s, this.pos, bytes, 'utf8')
    return true
  }

  /** Makes room for `bytes` more: a new slab when this one is full, with the record being written moved over. */
  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    const current = this.pos - this.start
    const next = Buffer.allocUnsafe(Math.max(this.slabBytes, current + bytes + 64))
    this.buf.copy(next, 0, this.start, this.pos)
    this.buf = next
    this.start = 0
    this.pos = current
  }
}
