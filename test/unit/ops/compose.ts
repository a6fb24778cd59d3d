// The docker-compose stack as the static checks see it: the compose file parsed (YAML merge keys on,
// as Compose reads them), and the few facts the checks need about services, ports and references.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const COMPOSE_FILE = `${ROOT}docker-compose.yml`

export interface HealthCheck {
  test?: string[] | string
}

export interface Service {
  image?: string
  build?: { context?: string; dockerfile?: string } | string
  command?: string[] | string
  entrypoint?: string[] | string
  environment?: Record<string, string | number | boolean | null> | string[]
  volumes?: (string | { type?: string; source?: string; target?: string })[]
  ports?: (string | number | { target?: number })[]
  expose?: (string | number)[]
  depends_on?: string[] | Record<string, { condition?: string }>
  healthcheck?: HealthCheck
  profiles?: string[]
  hostname?: string
}

export interface Compose {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}

export function composeText(): string {
  return readFileSync(COMPOSE_FILE, 'utf8')
}

export function loadCompose(): Compose {
  return parse(composeText(), { merge: true }) as Compose
}

export function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {}
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0] ?? entry, entry.slice(entry.indexOf('=') + 1)]))
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]))
}

export function words(value: string[] | string | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value.map(String) : value.split(/\s+/).filter((word) => word !== '')
}

/** The value after `--flag` in a command, if given. */
export function flagValue(command: readonly string[], flag: string): string | undefined {
  const index = command.indexOf(flag)
  if (index >= 0) return command[index + 1]
  const joined = command.find((word) => word.startsWith(`${flag}=`))
  return joined?.slice(flag.length + 1)
}

/** Ports a service listens on inside the compose network: `expose` plus the container side of `ports`. */
export function listeningPorts(service: Service): Set<number> {
  const ports = new Set<number>()
  for (const port of service.expose ?? []) ports.add(Number(String(port).split('/')[0]))
  for (const port of service.ports ?? []) {
    if (typeof port === 'object') {
      if (port.target !== undefined) ports.add(port.target)
      continue
    }
    const container = String(port).split('/')[0]?.split(':').pop()
    if (container !== undefined) ports.add(Number(container))
  }
  return ports
}

/** `host:port` from an address or URL (http://host:port/path, host:port). */
export function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`)
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
  return { host: url.hostname, port }
}

/** Image reference split into repository and tag (digests count as pinned). */
export function imageTag(image: string): { repository: string; tag: string | undefined; digest: boolean } {
  const [name = '', digest] = image.split('@')
  const slash = name.lastIndexOf('/')
  const colon = name.lastIndexOf(':')
  const tag = colon > slash ? name.slice(colon + 1) : undefined
  return { repository: colon > slash ? name.slice(0, colon) : name, tag, digest: digest !== undefined }
}
