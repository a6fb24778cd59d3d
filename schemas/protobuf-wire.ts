// Just enough of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/) for KPL
// aggregation: varints and length-delimited fields, written into a preallocated buffer and read in place.

export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LENGTH_DELIMITED = 2
export const WIRE_FIXED32 = 5

/** Thrown by ProtoReader on bytes that are not a well-formed message; callers turn it into a result. */
export class ProtoWireError extends Error {
  override readonly name = 'ProtoWireError'
}

export function tag(field: number, wireType: number): number {
  return field * 8 + wireType
}

export function fieldNumber(key: number): number {
  return Math.floor(key / 8)
}

/** Bytes a varint of `value` (a non-negative safe integer) takes. */
export function varintSize(value: number): number {
  let size = 1
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++
  return size
}

/** Writes `value` as a varint at `pos`; returns the position after it. Division keeps values past 2^31 exact. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let rest = value
  let at = pos
  while (rest >= 0x80) {
    buf[at++] = (rest % 0x80) | 0x80
    rest = Math.floor(rest / 0x80)
  }
  buf[at++] = rest
  return at
}

/** Reads one message's fields from buf[start, end) without copying: bytes come back as subarrays. */
export class ProtoReader {
  private pos: number

  constructor(
    private readonly buf: Buffer,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  readVarint(): number {
    let value = 0
    let scale = 1
    // A uint64 takes at most 10 bytes; anything we index with must also stay a safe JS integer.
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoWireError('varint runs past the end of the message')
      const byte = this.buf[this.pos++] ?? 0
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw new ProtoWireError('varint too large')
        return value
      }
      scale *= 0x80
    }
    throw new ProtoWireError('varint longer than 10 bytes')
  }

  /** A field key (field number * 8 + wire type) as a plain number: callers compare it with tag(...). */
  readKey(): number {
    const key = this.readVarint()
    if (key < 8) throw new ProtoWireError('field number 0')
    return key
  }

  readBytes(): Buffer {
    const length = this.readVarint()
    const start = this.pos
    if (length > this.end - start) throw new ProtoWireError(`a ${length}-byte field runs past the end of the message`)
    this.pos += length
    return this.buf.subarray(start, this.pos)
  }

  readString(): string {
    return this.readBytes().toString('utf8')
  }

  /** Skips the value of a field this reader does not need, as protobuf requires of unknown fields. */
  skip(key: number): void {
    const wireType = key % 8
    if (wireType === WIRE_VARINT) this.readVarint()
    else if (wireType === WIRE_LENGTH_DELIMITED) this.readBytes()
    else if (wireType === WIRE_FIXED64) this.advance(8)
    else if (wireType === WIRE_FIXED32) this.advance(4)
    else throw new ProtoWireError(`unsupported wire type ${wireType} (field ${fieldNumber(key)})`)
  }

  private advance(bytes: number): void {
    if (bytes > this.end - this.pos) throw new ProtoWireError('fixed-width field runs past the end of the message')
    this.pos += bytes
  }
}
