// `npm run kafka:up` / `kafka:down`, or `npx tsx infra/kafka/cli.ts up|down|status [--port N]`.
// Progress goes to stderr; stdout carries only the lines a person or script wants to copy.
import { parseArgs } from 'node:util'
import { kafkaStatus, startKafka, stopKafka, type KafkaBrokerOptions } from './broker.ts'
import { parsePort, runCli } from '../cli-main.ts'

const USAGE = `usage: tsx infra/kafka/cli.ts up|down|status [--port N] [--controller-port N] [--data-dir DIR]
  port: --port, else env PULSE_KAFKA_PORT, else 9092; the controller listens on port+1 unless given.`

/** LSB convention for `status`: 3 means "not running", distinct from a failure (1). */
const EXIT_NOT_RUNNING = 3

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const command = positionals[0]
  if (values.help === true || command === undefined) {
    console.log(USAGE)
    return values.help === true ? 0 : 1
  }
  const options: KafkaBrokerOptions = {
    port: parsePort('--port', values.port ?? process.env['PULSE_KAFKA_PORT']),
    controllerPort: parsePort('--controller-port', values['controller-port']),
    dataDir: values['data-dir'],
    log: (line) => {
      console.error(line)
    },
  }
  switch (command) {
    case 'up':
      return up(options)
    case 'down':
      return down(options)
    case 'status':
      return status(options)
    default:
      console.error(`unknown command '${command}'\n${USAGE}`)
      return 1
  }
}

async function up(options: KafkaBrokerOptions): Promise<number> {
  const broker = await startKafka(options)
  const how = broker.reused ? 'already running' : `started in ${(broker.readyAfterMs / 1000).toFixed(1)} s`
  console.log(`Kafka broker ${how}: ${broker.brokers} (pid ${broker.pid})`)
  console.log(`  data and logs: ${broker.dataDir} (broker log: ${broker.serverLog})`)
  console.log(`  point Pulse at it: PULSE_SOURCE=kafka PULSE_KAFKA_BROKERS=${broker.brokers} npm start`)
  console.log(`                 or: pulse run --source kafka --brokers ${broker.brokers}`)
  console.log(`  stop it with: npm run kafka:down${options.port === undefined ? '' : ` -- --port ${options.port}`}`)
  return 0
}

async function down(options: KafkaBrokerOptions): Promise<number> {
  const result = await stopKafka(options)
  if (!result.wasRunning) console.log('No Kafka broker was running from that data dir.')
  else console.log(`Kafka broker (pid ${String(result.pid)}) stopped${result.forced ? ' (killed after ignoring SIGTERM)' : ''}.`)
  return 0
}

async function status(options: KafkaBrokerOptions): Promise<number> {
  const s = await kafkaStatus(options)
  if (!s.running) {
    console.log(`Kafka broker not running (data dir ${s.dataDir}).`)
    return EXIT_NOT_RUNNING
  }
  console.log(`Kafka broker running: ${s.brokers} (pid ${String(s.pid)}), ${s.ready ? 'answering requests' : 'not answering yet'}.`)
  return s.ready ? 0 : 1
}

runCli(main)
