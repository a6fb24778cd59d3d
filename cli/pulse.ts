// The process entry: runs the command and turns its outcome into the exit code. bin/pulse.js loads
// this through tsx; the container image runs the compiled dist/cli/pulse.js.
import { main } from './main.ts'

process.exitCode = await main(process.argv.slice(2))
// Everything was stopped and closed by now; a handle some library still holds (a socket, a timer)
// must not keep the process alive after its outcome is decided, least of all after a fatal error.
setTimeout(() => process.exit(), 2000).unref()
