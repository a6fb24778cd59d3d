// The process entry: runs the command and turns its outcome into the exit code. bin/pulse.js loads
// this through tsx; the container image runs the compiled dist/cli/pulse.js.
import { main } from './main.ts'

process.exitCode = await main(process.argv.slice(2))
