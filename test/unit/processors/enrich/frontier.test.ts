// Flows wait for the assignment stream to be written up to them, not only for the hold-back in
// processing time: an old flow (a backlog) waits until the frontier covers it, and the assignments
// written meanwhile are read before it goes on. Kafka's cover test is the topic's ends against the
// committed positions.
import { describe, expect, it } from 'vitest'
import { Enrichment } from '../../../../processors/enrich/enrichment.ts'
import { endsCovered } from '../../../../processors/source/kafka/covers.ts'
import type { SourceBatch } from '../../../../pipeline/source.ts'
import type { IngestedAssignment, StateStore } from '../../../../pipeline/state.ts'
import { testLogger } from '../../../helpers/services.ts'
import { ipAssignment } from '../../schemas/fixtures.ts'

const EFFECTIVE = 1_700_000_000_000

/** A sink whose ip_assignments gain a row when `write` is called, as an assignment partition's owner would write it. */
function assignmentsSink(): StateStore & { write: () => void } {
  const rows: IngestedAssignment[] = []
  return {
    write: () => rows.push({ assignment: ipAssignment({ cidr: '10.1.2.0/24', effective_time: EFFECTIVE }), ingestTimeMs: Date.now() }),
    assignmentsSince: (since) => Promise.resolve(rows.filter((row) => row.ingestTimeMs >= since)),
    clientEvents: () => [],
    endedSessions: () => Promise.resolve([]),
  }
}

const oldFlows: SourceBatch = { stream: 'flows', partition: '0', records: [{ position: '1', data: Buffer.alloc(0), streamTimeMs: Date.now() - 3_600_000 }] }

describe('Enrichment: the assignment frontier', () => {
  it('holds an old flow batch until the assignments appended before it are written, then reads them', async () => {
    const sink = assignmentsSink()
    let asked = 0
    // The owner of the assignment partition writes its backlog on the third question.
    const frontier = {
      covers: () => {
        asked++
        if (asked === 3) sink.write()
        return Promise.resolve(asked >= 3)
      },
    }
    const enrichment = new Enrichment({ store: sink, holdBackMs: 6000, logger: testLogger().logger, frontier, frontierPollMs: 10 })
    await enrichment.start()
    expect(enrichment.ownership.ownerAt('10.1.2.7', EFFECTIVE + 1)).toBeUndefined()
    expect(await enrichment.holdBack(oldFlows)).toBe(true)
    enrichment.stop()
    expect(asked).toBe(3)
    expect(enrichment.ownership.ownerAt('10.1.2.7', EFFECTIVE + 1)?.app).toBe('playback-api')
  })

  it('gives up after the longest wait on a frontier that stays behind, and says so', async () => {
    const sink = assignmentsSink()
    const { logger, lines } = testLogger()
    const enrichment = new Enrichment({ store: sink, holdBackMs: 6000, logger, frontier: { covers: () => Promise.resolve(false) }, frontierPollMs: 5, frontierMaxWaitMs: 60 })
    await enrichment.start()
    // Given up on, the flows are still taken (attributed with what is known).
    expect(await enrichment.holdBack(oldFlows)).toBe(true)
    enrichment.stop()
    expect(lines.join('')).toContain('still not written up to these flows')
  })

  it('waits for a frontier that cannot be asked (ClickHouse away) without giving up, until stopped', async () => {
    const sink = assignmentsSink()
    let asked = 0
    const frontier = {
      covers: () => {
        asked++
        return Promise.reject(new Error('ECONNREFUSED'))
      },
    }
    const enrichment = new Enrichment({ store: sink, holdBackMs: 6000, logger: testLogger().logger, frontier, frontierPollMs: 5, frontierMaxWaitMs: 20 })
    await enrichment.start()
    const held = enrichment.holdBack(oldFlows).then((ready) => (ready ? 'taken' : 'not taken'))
    const early = await Promise.race([held, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 150))])
    expect(early).toBe('still waiting')
    expect(asked).toBeGreaterThan(3)
    enrichment.stop()
    // Stopped before the frontier came, the flows are not ready: they are left for the next reader.
    expect(await held).toBe('not taken')
  })

  it('lets a batch go untaken once its source withdraws it, however long the frontier stays behind', async () => {
    // A Kafka member giving its partitions up (a rebalance) withdraws the flows waiting here: the
    // assignment partition they wait for can only get a live owner once the rebalance completes.
    const enrichment = new Enrichment({ store: assignmentsSink(), holdBackMs: 6000, logger: testLogger().logger, frontier: { covers: () => Promise.resolve(false) }, frontierPollMs: 5, frontierMaxWaitMs: 600_000 })
    await enrichment.start()
    const withdrawal = new AbortController()
    const held = enrichment.holdBack({ ...oldFlows, withdrawn: withdrawal.signal })
    const early = await Promise.race([held, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100))])
    expect(early).toBe('still waiting')
    withdrawal.abort()
    expect(await held).toBe(false)
    // The enrichment itself goes on: a batch not withdrawn still waits.
    const other = enrichment.holdBack(oldFlows)
    expect(await Promise.race([other, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 50))])).toBe('still waiting')
    enrichment.stop()
    expect(await other).toBe(false)
  })

  it('does not wait at all with a hold-back of 0', async () => {
    const enrichment = new Enrichment({ store: assignmentsSink(), holdBackMs: 0, logger: testLogger().logger, frontier: { covers: () => Promise.resolve(false) } })
    expect(await enrichment.holdBack(oldFlows)).toBe(true)
  })
})

describe('Kafka: a topic covered by its committed positions', () => {
  it('needs every partition with records committed up to its end', () => {
    const ends = [
      { partition: 0, low: '0', high: '10' },
      { partition: 1, low: '5', high: '5' },
    ]
    expect(endsCovered(ends, new Map([['0', '9']]))).toBe(true)
    expect(endsCovered(ends, new Map([['0', '8']]))).toBe(false)
    expect(endsCovered(ends, new Map())).toBe(false)
    expect(endsCovered([{ partition: 0, low: '0', high: '0' }], new Map())).toBe(true)
  })
})
