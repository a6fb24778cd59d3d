// A broker restart is an outage to wait out, not the end of a processor: with its only broker stopped
// for longer than kafkajs keeps looking for the group coordinator, kafkajs crashes the consumer and
// will not restart it ("no group coordinator" counts as not retriable). The Kafka source starts it
// again once the broker is back, and every event, before and after, lands exactly once.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startKafka, stopKafka, type KafkaBrokerOptions } from '../../infra/kafka/broker.ts'
import { freePorts } from '../../infra/ports.ts'
import { spawnPulseForTest } from '../helpers/cli.ts'
import { kafkaPipeline, processArgs, produceClientEvents, serveClickHouse } from '../helpers/kafka.ts'
import { count, embeddedClickHouse, pollUntil } from '../helpers/services.ts'

/** Longer than kafkajs's coordinator lookup lasts (it crashed ~5 s into an outage in the chaos runs). */
const OUTAGE_MS = 12_000

describe('a Kafka processor through a broker restart', () => {
  it('waits out the broker, starts its consumer again, and writes every event once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pulse-kafka-outage-'))
    const [port, controllerPort] = await freePorts(2)
    const broker: KafkaBrokerOptions = { port, controllerPort, dataDir }
    onTestFinished(async () => {
      await stopKafka(broker)
      await rm(dataDir, { recursive: true, force: true })
    })
    const { brokers } = await startKafka(broker)
    const pipeline = await kafkaPipeline({ kafka: { brokers: [brokers] } })
    const clickhouse = await serveClickHouse(16)
    const { clickhouse: engine } = embeddedClickHouse()
    const table = `${pipeline.database}.client_events`
    await produceClientEvents(pipeline, 1000, 11)
    const processor = spawnPulseForTest(processArgs(pipeline, clickhouse.url))
    await pollUntil(() => count(engine, `SELECT count() FROM ${table}`).catch(() => 0), (n) => n === 1000, { what: 'the events before the outage', timeoutMs: 60_000 })

    await stopKafka(broker)
    await sleep(OUTAGE_MS) // the fault itself: the broker stays away this long
    await startKafka(broker)
    await produceClientEvents(pipeline, 1000, 12)
    await pollUntil(() => count(engine, `SELECT uniqExact(event_id) FROM ${table}`), (n) => n === 2000, { what: 'the events after the outage', timeoutMs: 90_000 })

    expect(processor.child.exitCode).toBeNull()
    // Which crash kafkajs reports depends on where the outage finds it: a refused connection it
    // restarts itself from; a coordinator it cannot find it does not, and then Pulse must.
    const output = processor.output()
    const crashes = output.split('\n').filter((line) => line.includes('"msg":"Kafka consumer crashed"')).map((line) => JSON.parse(line) as { restart: boolean })
    const leftToPulse = crashes.filter((crash) => !crash.restart).length
    console.info(`consumer crashes during the outage: ${crashes.length}, ${leftToPulse} of them not restarted by kafkajs`)
    const restartedByPulse = output.split('\n').filter((line) => line.includes('Kafka consumer started again after the brokers were away')).length
    expect(restartedByPulse).toBe(leftToPulse)
    processor.child.kill('SIGTERM')
    expect(await processor.exited).toBe(0)
    expect(await count(engine, `SELECT count() FROM ${table}`)).toBe(2000)
  })
})
