// The write key both sides of `npm run bench:collect` use (a module without side effects, so the
// parent can import it without starting a server).
export const BENCH_KEY = 'bench-key'
