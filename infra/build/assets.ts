// The files the code reads at run time from beside itself, which `tsc` does not emit: the Avro
// schemas, the ClickHouse migrations and reports, the live page. One list, for the build and for the
// test that builds the image's install.
import { cpSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const ASSETS = [
  { from: 'schemas', pattern: /\.avsc$/ },
  { from: 'sinks/clickhouse/migrations', pattern: /\.sql$/ },
  { from: 'sinks/clickhouse/reports', pattern: /\.sql$/ },
  { from: 'cli/live', pattern: /\.(html|js)$/ },
] as const

/** Copies the assets of the source tree at `root` into the build at `dist`. */
export function copyAssets(root: string, dist: string): void {
  for (const { from, pattern } of ASSETS) {
    for (const file of readdirSync(join(root, from)).filter((name) => pattern.test(name))) cpSync(join(root, from, file), join(dist, from, file))
  }
}
