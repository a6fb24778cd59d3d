// Container healthcheck for the Pulse image, which has neither curl nor wget (node:*-slim): exits 0
// when a GET answers 2xx within 3 s, 1 otherwise. The argument is a path on the role's operations
// port (PULSE_METRICS_PORT, default 9464), e.g. /readyz, or a full URL (the Kinesis emulator's
// http://127.0.0.1:4567/healthcheck).
//   node infra/docker/healthcheck.mjs /readyz
const target = process.argv[2] ?? '/healthz'
const url = target.startsWith('http') ? target : `http://127.0.0.1:${process.env.PULSE_METRICS_PORT ?? '9464'}${target}`

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) })
  process.exitCode = response.ok ? 0 : 1
  if (!response.ok) console.error(`${url}: ${response.status} ${(await response.text()).trim()}`)
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
