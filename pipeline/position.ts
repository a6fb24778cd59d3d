// Source positions are decimal strings: Kafka offsets and Kinesis sequence numbers (up to 56 digits,
// beyond any JS number) alike. Without leading zeros, a longer string is a larger number.

export function comparePositions(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}
