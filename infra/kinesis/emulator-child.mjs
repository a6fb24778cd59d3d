// Runs kinesis-mock (the path in argv[2]) as a child that dies with its parent: the parent holds this
// process's stdin, and when the parent goes (even by SIGKILL, which leaves no time to stop children)
// the pipe closes and this exits, so no orphaned emulator keeps the port and the data directory.
import { pathToFileURL } from 'node:url'

const exitWithParent = () => process.exit(0)
process.stdin.on('end', exitWithParent)
process.stdin.on('error', exitWithParent)
process.stdin.resume()
const main = process.argv[2]
if (main === undefined) throw new Error('usage: emulator-child.mjs PATH-TO-kinesis-local/main.js')
await import(pathToFileURL(main).href)
