// After `tsc` emits dist/, copies the files the code reads at run time from beside itself: the Avro
// schemas and the ClickHouse migrations.
import { cpSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const ASSETS = [
  { from: 'schemas', pattern: /\.avsc$/ },
  { from: 'sinks/clickhouse/migrations', pattern: /\.sql$/ },
  { from: 'sinks/clickhouse/reports', pattern: /\.sql$/ },
  { from: 'cli/live', pattern: /\.(html|js)$/ },
]

for (const { from, pattern } of ASSETS) {
  for (const file of readdirSync(from).filter((name) => pattern.test(name))) cpSync(join(from, file), join('dist', from, file))
}
