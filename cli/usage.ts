// The help text; every setting is listed from the configuration schema with its description,
// default, allowed values and environment variable (setting-help.ts).
import { settingsHelp } from './setting-help.ts'

export function usage(): string {
  const settings = settingsHelp()
  return `pulse: real-time event pipeline (Kinesis or Kafka in, ClickHouse out)

Usage:
  pulse run [settings]                 produce, process and sink in one process (embedded default:
                                       Kinesis emulator + ClickHouse engine in --data-dir)
  pulse produce [clients|flows] [settings]
                                       put generated traffic on the stream until stopped
  pulse produce flows --file PATH|- [--assignments FILE.jsonl]
                                       replay AWS VPC flow logs (any format: S3 header line or
                                       --flow-log-format; plain or .gz; a file or a directory)
                                       and IP assignment changes (JSON lines) onto the streams
  pulse collect [settings]             HTTP collector: POST /v1/events from apps and browsers onto
                                       the stream (write keys: --collect-keys / PULSE_COLLECT_KEYS)
  pulse process [settings]             consume, process and write to ClickHouse
  pulse dead-letters [--since 7d]      dead letters by stage and reason, and how many were replayed
  pulse dead-letters replay [--stage S] [--reason R] [--since T] [--id ID]... [--to-stream NAME] [--again]
                                       put their raw bytes back on their stream, once each
  pulse query [--format FMT] "SQL"     query the same ClickHouse (works while \`pulse run\` runs)
  pulse migrate [settings]             create or update the ClickHouse schema
  pulse leases [settings]              which worker owns which Kinesis shard (the lease table)
  pulse report                         list the named reports (sinks/clickhouse/reports/*.sql)
  pulse report NAME [--since 1h|30m|7d] [--param name=value]... [--format FMT]
                                       run one, on the same ClickHouse as pulse query
  pulse bench [--events N] [--flows N] [--paced-seconds N] [--only NAMES] [--no-write]
                                       Pulse against the naive baseline, ClickHouse's Kafka
                                       engine and the ceiling (= npm run bench; BENCHMARKS.md)

Settings (flag, what it does, default and environment variable; also keys of a --config YAML/JSON file):
${settings}
  --no-dedup                 same as --dedup false
  --config PATH              YAML or JSON file with settings
`
}
