// Replays files onto the streams: AWS VPC flow log text onto the flows stream (keyed by interface, as
// AWS delivers per network interface), and JSON-lines IP assignments onto the assignments stream.
// A line that cannot be read is still sent, raw, so the processor dead-letters it with its bytes:
// nothing in the file is dropped silently.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Logger } from 'pino'
import { encode } from '../../schemas/codec.ts'
import type { OutgoingRecord, Transport } from '../transport.ts'
import { parseFlowLogLine } from './parse.ts'

const BATCH = 500

export interface ReplayReport {
  records: number
  unreadable: number
  skipped: number
}

/** `path` '-' reads standard input. */
export function openLines(path: string): AsyncIterable<string> {
  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8')
  return createInterface({ input, crlfDelay: Infinity })
}

export async function replayFlowLog(lines: AsyncIterable<string>, transport: Transport, stream: string, logger: Logger): Promise<ReplayReport> {
  const report: ReplayReport = { records: 0, unreadable: 0, skipped: 0 }
  let batch: OutgoingRecord[] = []
  let lineNumber = 0
  for await (const line of lines) {
    lineNumber++
    const parsed = parseFlowLogLine(line)
    if (parsed.kind === 'header' || parsed.kind === 'blank') {
      report.skipped++
      continue
    }
    if (parsed.kind === 'error') {
      report.unreadable++
      if (report.unreadable <= 10) logger.warn({ line: lineNumber, reason: parsed.reason }, 'unreadable flow log line; sent raw to be dead-lettered')
      batch.push({ key: `line-${lineNumber}`, value: Buffer.from(line, 'utf8') })
    } else {
      batch.push({ key: parsed.flow.interface_id, value: encode('network_flow', parsed.flow) })
    }
    report.records++
    if (batch.length >= BATCH) {
      await transport.send(stream, batch)
      batch = []
    }
  }
  if (batch.length > 0) await transport.send(stream, batch)
  return report
}

/** JSON lines, one IpAssignment each; the processor validates them like any foreign record. */
export async function replayAssignments(lines: AsyncIterable<string>, transport: Transport, stream: string): Promise<number> {
  const records: OutgoingRecord[] = []
  for await (const line of lines) {
    if (line.trim() === '') continue
    const key = /"cidr"\s*:\s*"([^"]*)"/.exec(line)?.[1] ?? 'unknown'
    records.push({ key, value: Buffer.from(line.trim(), 'utf8') })
  }
  for (let start = 0; start < records.length; start += BATCH) await transport.send(stream, records.slice(start, start + BATCH))
  return records.length
}
