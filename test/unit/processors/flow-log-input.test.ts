// What the processor makes of flow logs as AWS puts them on a stream: plain lines (a header line
// setting the format of those after it), CloudWatch Logs subscription records, and Pulse's own
// encodings left to the codec.
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readFlowInput } from '../../../processors/flow-log-input.ts'
import { DEFAULT_FORMAT } from '../../../schemas/flow-log/format.ts'

const LINE = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK'

describe('flow log input', () => {
  it('reads a DATA_MESSAGE as its log events, in order', () => {
    const envelope = { messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: 1, message: LINE }, { id: '2', timestamp: 1, message: 'not a flow' }] }
    const input = readFlowInput(gzipSync(JSON.stringify(envelope)), DEFAULT_FORMAT)
    expect(input.kind === 'events' && input.events.map((event) => [event.raw.toString(), event.parsed.ok])).toEqual([[LINE, true], ['not a flow', false]])
  })

  it('skips a CONTROL_MESSAGE and refuses a gzip record that is no subscription record', () => {
    expect(readFlowInput(gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', logEvents: [] })), DEFAULT_FORMAT)).toEqual({ kind: 'control' })
    expect(readFlowInput(gzipSync('{"messageType":"OTHER"}'), DEFAULT_FORMAT)).toMatchObject({ kind: 'rejected', reason: 'malformed_envelope' })
    expect(readFlowInput(gzipSync('not json'), DEFAULT_FORMAT)).toMatchObject({ kind: 'rejected', reason: 'malformed_envelope' })
  })

  it('reads plain lines in the format of a header line before them', () => {
    const input = readFlowInput(Buffer.from('start end srcaddr\n1418530010 1418530070 10.0.0.1\n'), DEFAULT_FORMAT)
    expect(input.kind === 'events' && input.events.map((event) => event.parsed.ok && event.parsed.flow.src_addr)).toEqual(['10.0.0.1'])
  })

  it('refuses flow log text that is not UTF-8 instead of storing U+FFFD in its ids', () => {
    const bytes = Buffer.concat([Buffer.from('2 123456789010 eni-'), Buffer.from([0xff, 0xfe]), Buffer.from(LINE.slice(LINE.indexOf(' 172.')))])
    expect(readFlowInput(bytes, DEFAULT_FORMAT)).toMatchObject({ kind: 'rejected', reason: 'invalid_utf8' })
  })

  it('leaves Avro and JSON to the codec', () => {
    expect(readFlowInput(Buffer.from([0xc3, 0x01, 0, 0]), DEFAULT_FORMAT)).toEqual({ kind: 'encoded' })
    expect(readFlowInput(Buffer.from(' {"version":2}'), DEFAULT_FORMAT)).toEqual({ kind: 'encoded' })
  })
})
