// What each output format is labelled on the wire, as ClickHouse's output formats label themselves
// (IOutputFormat::getContentType): a client such as a browser, curl -J or a BI tool picks its parser
// from the Content-Type, and binary formats must never be offered as text.

const BINARY = /^(Native|RowBinary\w*|Parquet|Arrow|ArrowStream|ORC|Avro|Protobuf\w*|CapnProto|MsgPack|BSONEachRow|Npy)$/

export function contentTypeOf(format: string): string {
  if (BINARY.test(format)) return 'application/octet-stream'
  if (/^(TabSeparated|TSV)/.test(format)) return 'text/tab-separated-values; charset=UTF-8'
  if (/^CSV/.test(format)) return `text/csv; charset=UTF-8; header=${/WithNames/.test(format) ? 'present' : 'absent'}`
  if (/^JSON/.test(format)) return 'application/json; charset=UTF-8'
  if (format === 'XML') return 'application/xml; charset=UTF-8'
  return 'text/plain; charset=UTF-8'
}
