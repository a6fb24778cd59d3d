// IPv4 addresses as unsigned 32-bit integers, for allocating fleet blocks and looking addresses up.

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`
}

/** Parses a dotted quad; null for anything else, so lookups of odd input answer "not ours". */
export function parseIp(text: string): number | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  let ip = 0
  for (const part of parts) {
    const octet = Number(part)
    if (part === '' || !Number.isInteger(octet) || octet < 0 || octet > 255) return null
    ip = ip * 256 + octet
  }
  return ip
}

/** The network address of ip under a prefix length (0–32). */
export function networkOf(ip: number, prefix: number): number {
  if (prefix === 0) return 0
  const mask = (0xffffffff << (32 - prefix)) >>> 0
  return (ip & mask) >>> 0
}
