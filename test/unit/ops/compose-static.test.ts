// docker-compose.yml cannot run here (no Docker engine), so these checks hold it to what a run would
// need: pinned images, mounts that exist, dependencies on services that exist and can report health,
// variables with defaults, and an image whose Dockerfile copies files that exist and are not ignored.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMPOSE_FILE, ROOT, composeText, imageTag, loadCompose, type Service } from './compose.ts'

const compose = loadCompose()
const services = Object.entries(compose.services)

function buildOf(service: Service): { context: string; dockerfile: string } | undefined {
  if (service.build === undefined) return undefined
  const build = typeof service.build === 'string' ? { context: service.build } : service.build
  const context = resolve(ROOT, build.context ?? '.')
  return { context, dockerfile: resolve(context, build.dockerfile ?? 'Dockerfile') }
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): string[] {
  return readFileSync(dockerfile, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

/** A .dockerignore pattern matched against a context-relative path: enough for the simple patterns used. */
function ignoredBy(patterns: readonly string[], path: string): string | undefined {
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '')
  return patterns.find((pattern) => {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`)
    return regex.test(clean)
  })
}

describe('docker-compose.yml, statically', () => {
  it('pins every image to a version (a tag that is not latest, or a digest)', () => {
    const unpinned = services
      .filter(([, service]) => service.image !== undefined)
      .map(([name, service]) => ({ name, ...imageTag(service.image ?? '') }))
      .filter(({ tag, digest }) => !digest && (tag === undefined || tag === 'latest'))
    expect(unpinned).toEqual([])
    for (const [name, service] of services) expect(service.image ?? service.build, `${name} has neither image nor build`).toBeDefined()
  })

  it('mounts only host paths that exist and named volumes that are declared', () => {
    const problems: string[] = []
    const declared = new Set(Object.keys(compose.volumes ?? {}))
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? (volume.split(':')[0] ?? '') : (volume.source ?? '')
        const isPath = source.startsWith('.') || source.startsWith('/')
        if (isPath && !existsSync(resolve(ROOT, source))) problems.push(`${name}: ${source} does not exist`)
        if (!isPath && !declared.has(source)) problems.push(`${name}: volume ${source} is not declared under volumes:`)
      }
    }
    expect(problems).toEqual([])
  })

  it('depends only on services that exist, and waits for health only where a healthcheck reports it', () => {
    const problems: string[] = []
    for (const [name, service] of services) {
      const dependsOn = Array.isArray(service.depends_on)
        ? Object.fromEntries(service.depends_on.map((target) => [target, {}]))
        : (service.depends_on ?? {})
      for (const [target, { condition }] of Object.entries(dependsOn) as [string, { condition?: string }][]) {
        const dependency = compose.services[target]
        if (dependency === undefined) problems.push(`${name} depends on unknown service ${target}`)
        else if (condition === 'service_healthy' && dependency.healthcheck === undefined) problems.push(`${name} waits for ${target} to be healthy, but ${target} has no healthcheck`)
      }
    }
    expect(problems).toEqual([])
    // The stack is useful only if these come up healthy: each reports health.
    for (const name of ['kafka', 'clickhouse', 'pulse-produce', 'pulse-process', 'prometheus', 'grafana', 'kinesis']) {
      expect(compose.services[name]?.healthcheck, `${name} healthcheck`).toBeDefined()
    }
  })

  it('gives every ${VARIABLE} a default, so `docker compose up` needs no .env file', () => {
    const withoutDefault = [...composeText().matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1] ?? '').filter((expression) => !expression.includes(':-'))
    expect(withoutDefault).toEqual([])
  })

  it('builds Pulse from a Dockerfile whose FROM images are pinned and whose COPY sources exist and are not ignored', () => {
    const builds = services.map(([, service]) => buildOf(service)).filter((build) => build !== undefined)
    expect(builds.length).toBeGreaterThan(0)
    for (const { context, dockerfile } of builds) {
      expect(existsSync(dockerfile), dockerfile).toBe(true)
      const ignorePath = join(context, '.dockerignore')
      const ignored = existsSync(ignorePath)
        ? readFileSync(ignorePath, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
        : []
      const lines = instructions(dockerfile)
      for (const from of lines.filter((line) => /^FROM\s/i.test(line))) {
        const image = from.split(/\s+/)[1] ?? ''
        const { tag, digest } = imageTag(image)
        expect(digest || (tag !== undefined && tag !== 'latest'), `unpinned ${from}`).toBe(true)
      }
      const copies = lines.filter((line) => /^COPY\s/i.test(line) && !/--from=/i.test(line))
      expect(copies.length).toBeGreaterThan(0)
      for (const copy of copies) {
        const args = copy.split(/\s+/).slice(1).filter((arg) => !arg.startsWith('--'))
        for (const source of args.slice(0, -1)) {
          expect(existsSync(join(context, source)), `COPY source ${source} (${copy})`).toBe(true)
          expect(ignoredBy(ignored, source), `COPY source ${source} is excluded by .dockerignore`).toBeUndefined()
        }
      }
      expect(lines.some((line) => /^USER\s+(?!root\b|0\b)/i.test(line)), 'the runtime stage runs as a non-root user').toBe(true)
    }
  })

  it('runs healthcheck scripts that the image carries', () => {
    const dockerfile = readFileSync(join(ROOT, 'infra/docker/Dockerfile'), 'utf8')
    for (const [name, service] of services) {
      const test = service.healthcheck?.test
      if (!Array.isArray(test) || test[1] !== 'node' || service.build === undefined) continue
      const script = test[2] ?? ''
      expect(statSync(join(ROOT, script)).isFile(), `${name}: ${script}`).toBe(true)
      expect(dockerfile, `${name}: the Dockerfile must COPY ${script}`).toContain(`COPY ${script}`)
    }
  })

  it('passes `docker compose config` where the Docker CLI has the compose plugin', () => {
    // The machines here have the docker CLI without the compose plugin (and no engine); where the
    // plugin exists, Compose itself validates the file (it needs no engine for that).
    let hasCompose = true
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' })
    } catch {
      hasCompose = false
    }
    if (!hasCompose) {
      console.info('docker compose plugin not installed: Compose\'s own validation not run (the static checks above still ran)')
      return
    }
    execFileSync('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet'], { stdio: 'pipe' })
  })
})
