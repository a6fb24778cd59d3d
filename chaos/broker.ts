// The chaos run's own Kafka broker (not the test suite's shared one): a real broker on fixed ports and
// a data dir of the run, so a restart stops the JVM and starts a new one on the same ports and data,
// as an operator's rolling restart of a one-broker cluster would.
import { startKafka, stopKafka, type KafkaBroker, type KafkaBrokerOptions } from '../infra/kafka/broker.ts'
import { freePorts } from '../infra/ports.ts'

export interface ChaosBroker {
  readonly brokers: string
  stop(): Promise<void>
  start(): Promise<void>
}

export async function startChaosBroker(dataDir: string, log: (line: string) => void): Promise<ChaosBroker> {
  const [port, controllerPort] = await freePorts(2)
  // Class-data sharing off: a restart must not write or promote an archive in the shared jar cache.
  const options: KafkaBrokerOptions = { port, controllerPort, dataDir, classDataSharing: false, log }
  let broker: KafkaBroker = await startKafka(options)
  return {
    brokers: broker.brokers,
    stop: async () => {
      await stopKafka(options)
    },
    start: async () => {
      broker = await startKafka(options)
    },
  }
}
