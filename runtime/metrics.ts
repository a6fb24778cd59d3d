// The process's Prometheus registry. Each component declares its own metrics beside its code
// (e.g. sinks/clickhouse/metrics.ts) against this registry; this file holds only what is process-wide.
import { Registry, collectDefaultMetrics, Gauge } from 'prom-client'
import { readFileSync } from 'node:fs'

export { Registry }

export function createRegistry(): Registry {
  const registry = new Registry()
  // Default metrics include process CPU, resident memory and event-loop lag (nodejs_eventloop_lag_seconds).
  collectDefaultMetrics({ register: registry })
  const buildInfo = new Gauge({
    name: 'pulse_build_info',
    help: 'Always 1; labels say which Pulse and Node versions run.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  })
  buildInfo.set({ version: packageVersion(), node_version: process.version }, 1)
  return registry
}

/** Read from package.json, one level up from the sources or two from the compiled dist/. */
function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const raw: unknown = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'))
      const version = (raw as { version?: unknown }).version
      if (typeof version === 'string') return version
    } catch {
      // not at this level
    }
  }
  return 'unknown'
}
