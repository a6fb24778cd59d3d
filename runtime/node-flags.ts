// The V8 flags every Pulse process runs with. Node's default old-space limit grows with the machine
// (about 4 GiB on 24 GiB here), and a processor allocates fast: rows buffered for a second or two
// survive the young generation, so the old space fills with short-lived garbage and the heap swells
// long before it needs a full collection. A fixed limit makes it collect instead; Pulse's long-lived
// state (duplicate ids, sessions, A/B cells) is small beside it. `npm run bench` measures both sides
// (BENCHMARKS.md). Raise it for a long dedup horizon at high rates with the node command itself,
// `node --max-old-space-size=2048 bin/pulse.js …` (NODE_OPTIONS loses to the shebang's flag).
//
// The same flags are written where Pulse is started: the shebang of bin/pulse.js, the start scripts
// in package.json and the image's entrypoint; a unit test keeps them equal to this list.
export const PULSE_NODE_FLAGS: readonly string[] = ['--max-old-space-size=512']
