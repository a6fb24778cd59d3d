// The V8 flags every Pulse process runs with. Node's default old-space limit grows with the machine
// (about 4 GiB on 24 GiB here), and a processor allocates fast: rows buffered for a second or two
// survive the young generation, so the old space fills with short-lived garbage and the heap swells
// long before it needs a full collection. A fixed limit makes it collect instead; Pulse's long-lived
// state (duplicate ids, sessions, A/B cells) is small beside it. `npm run bench` measures both sides
// (BENCHMARKS.md). Raise it for a long dedup horizon at high rates with the node command itself,
// `node --max-old-space-size=2048 --heap-growing-percent=200 bin/pulse.js …` (NODE_OPTIONS loses to
// the shebang's flags).
//
// Under that limit V8 lets the old space grow to about twice what survived the last full collection
// before it starts the next, and a processor promotes fast (batches in flight, blocks waiting for
// their insert), so it marked the whole live heap every second or so: V8's worker threads spent 7–11
// CPU s per million events in a bench drain, against about 2 for the naive consumer. Growing to
// three times what survived (--heap-growing-percent=200) spaces the full collections further apart;
// five alternating pairs of `npm run bench -- --paced-seconds 0 --only pulse` gave 2–4 CPU s per
// million events less on those threads each time, at the same peak RSS once flow rows waited as
// bytes (BENCHMARKS.md).
//
// The same flags are written where Pulse is started: the shebang of bin/pulse.js, the start scripts
// in package.json and the image's entrypoint; a unit test keeps them equal to this list.
export const PULSE_NODE_FLAGS: readonly string[] = ['--max-old-space-size=512', '--heap-growing-percent=200']
