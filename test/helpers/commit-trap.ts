// An HTTP proxy in front of ClickHouse that lets everything through except the Nth checkpoint commit,
// which it holds unanswered (and never forwards). A processor writing through it has inserted a block
// and is waiting for its commit when the test kills it: the one moment where a crash leaves rows in
// ClickHouse that no commit vouches for, which deduplication tokens must make harmless.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'

export interface CommitTrap {
  url: string
  /** Resolves when the trapped commit arrived (the processor is now stuck before committing). */
  sprung: Promise<void>
}

export async function trapNthCommit(targetPort: number, commitNumber: number): Promise<CommitTrap> {
  let commits = 0
  let spring: () => void = () => undefined
  const sprung = new Promise<void>((resolve) => (spring = resolve))
  const held: IncomingMessage[] = []
  const server = createServer((incoming, outgoing) => {
    void readBody(incoming).then((body) => {
      if (isCommit(incoming.url ?? '', body) && ++commits === commitNumber) {
        held.push(incoming)
        spring()
        return
      }
      forward(targetPort, incoming, body, outgoing)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const trapped of held) trapped.socket.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sprung }
}

/** A checkpoint row with a position and no pending range is a commit; one with a range is an intent, one with neither a Kafka claim. */
function isCommit(url: string, body: Buffer): boolean {
  const query = new URL(url, 'http://localhost').searchParams.get('query') ?? ''
  if (!/^INSERT INTO \S+\.checkpoints\b/i.test(query)) return false
  const rows = body.toString('utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as { pending_to?: string; position?: string })
  return rows.length > 0 && rows.every((row) => row.pending_to === '' && row.position !== '')
}

function forward(port: number, incoming: IncomingMessage, body: Buffer, outgoing: ServerResponse): void {
  const upstream = request({ host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
    outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
    answer.pipe(outgoing)
  })
  upstream.on('error', () => outgoing.destroy())
  upstream.end(body)
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}
