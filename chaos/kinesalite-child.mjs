// kinesalite (npm, the Kinesis API on an in-memory LevelDB) in a process of its own for the chaos
// harness's Kinesis scenarios: argv[2] is the port. It prints READY once listening and exits when
// its parent closes stdin, so it cannot outlive the harness.
import { createRequire } from 'node:module'

const kinesalite = createRequire(import.meta.url)('kinesalite')
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 200 })
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('READY\n'))
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
