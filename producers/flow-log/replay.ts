// Replays files onto the streams: AWS VPC flow log text in any format onto the flows stream (keyed
// by interface, as AWS delivers per network interface), and JSON-lines IP assignments onto the
// assignments stream.
// A line that cannot be read is still sent, raw, so the processor dead-letters it with its bytes:
// nothing in the file is dropped silently.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Logger } from 'pino'
import { encode } from '../../schemas/codec.ts'
import type { FlowLogFormat } from '../../schemas/flow-log/format.ts'
import type { OutgoingRecord, Transport } from '../transport.ts'
import { fileLines, flowLogFiles } from './files.ts'
import { FlowLogReader } from './parse.ts'

const BATCH = 500
const WARNINGS = 10

export interface ReplayReport {
  records: number
  unreadable: number
  skipped: number
  /** Files whose header Pulse refuses (unknown field, no start/end); their lines are dead-lettered. */
  refusedFiles: number
}

/** `path` '-' reads standard input. */
export function openLines(path: string): AsyncIterable<string> {
  const input = path === '-' ? process.stdin : createReadStream(path, 'utf8')
  return createInterface({ input, crlfDelay: Infinity })
}

export interface FlowReplayOptions {
  /** The format of lines before any header line (`--flow-log-format`); AWS's default format when unset. */
  format?: FlowLogFormat | undefined
}

/** Replays a file or a directory of plain or gzip files, each read in its own header's format. */
export async function replayFlowLogPath(target: string, transport: Transport, stream: string, logger: Logger, options: FlowReplayOptions = {}): Promise<ReplayReport> {
  const total: ReplayReport = { records: 0, unreadable: 0, skipped: 0, refusedFiles: 0 }
  for (const file of await flowLogFiles(target)) {
    const report = await replayFlowLog(await fileLines(file), transport, stream, logger.child({ file }), options)
    for (const key of Object.keys(total) as (keyof ReplayReport)[]) total[key] += report[key]
  }
  return total
}

class ReplayBatch {
  private records: OutgoingRecord[] = []
  constructor(private readonly transport: Transport, private readonly stream: string) {}

  async push(record: OutgoingRecord): Promise<void> {
    this.records.push(record)
    if (this.records.length >= BATCH) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.records.length > 0) await this.transport.send(this.stream, this.records)
    this.records = []
  }
}

export async function replayFlowLog(lines: AsyncIterable<string>, transport: Transport, stream: string, logger: Logger, options: FlowReplayOptions = {}): Promise<ReplayReport> {
  const report: ReplayReport = { records: 0, unreadable: 0, skipped: 0, refusedFiles: 0 }
  const reader = new FlowLogReader(options.format)
  const batch = new ReplayBatch(transport, stream)
  let lineNumber = 0
  for await (const line of lines) {
    lineNumber++
    const parsed = reader.read(line)
    if (parsed.kind === 'header' || parsed.kind === 'blank') {
      report.skipped++
      if (parsed.kind === 'header' && parsed.refused !== undefined) {
        report.refusedFiles++
        // Once per file, not per line: the processor dead-letters each line with the same reason.
        logger.error({ line: lineNumber, reason: parsed.refused }, 'flow log format refused; its records are sent to be dead-lettered')
      }
      continue
    }
    if (parsed.kind === 'error') {
      report.unreadable++
      if (report.unreadable <= WARNINGS && parsed.reason !== 'bad_format') logger.warn({ line: lineNumber, reason: parsed.reason, detail: parsed.detail }, 'unreadable flow log line; sent raw to be dead-lettered')
      // Sent with its header, so the processor reads it in the same format and records the same reason.
      await batch.push({ key: `line-${lineNumber}`, value: Buffer.from(parsed.raw, 'utf8') })
    } else {
      await batch.push({ key: parsed.flow.interface_id === '' ? `line-${lineNumber}` : parsed.flow.interface_id, value: encode('network_flow', parsed.flow) })
    }
    report.records++
  }
  await batch.flush()
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
