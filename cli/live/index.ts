// The live page's routes on the ops endpoint of `pulse run` and `pulse process`: /live (the page),
// /live.js (its script) and /live.json (the numbers). Files are read once, at start.
import { readFileSync } from 'node:fs'
import type { ClickHouseClient } from '@clickhouse/client'
import type { Registry } from 'prom-client'
import type { OpsRoutes } from '../../runtime/ops-server.ts'
import { liveData } from './live-data.ts'

const file = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')

export function liveRoutes(registry: Registry, clickhouse: ClickHouseClient, database: string): OpsRoutes {
  const page = file('page.html')
  const script = file('live.js')
  const data = liveData(registry, clickhouse, database)
  return {
    '/live': () => Promise.resolve({ status: 200, type: 'text/html; charset=utf-8', body: page }),
    '/live.js': () => Promise.resolve({ status: 200, type: 'text/javascript; charset=utf-8', body: script }),
    '/live.json': async () => ({ status: 200, type: 'application/json', body: JSON.stringify(await data()) }),
  }
}
