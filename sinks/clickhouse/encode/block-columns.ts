// The columns an insert names: every column any row of the block names, so a column no row mentions
// keeps its DEFAULT, and a name the table lacks reaches the server, which refuses it (a misconfigured
// schema is retried until fixed, never dropped). They follow the table's own order (schemas/tables.ts)
// so that blocks of one table share one cached encoder; names the table lacks come after, in order of
// first appearance.
import type { Row } from '../../../pipeline/rows.ts'

/** `defined` is the table's columns in order, or empty for a table Pulse does not define. */
export function blockColumns(defined: readonly string[], rows: readonly Row[]): readonly string[] {
  if (defined.length > 0 && rows.every((row) => namesExactly(row, defined))) return defined
  const named = new Set<string>()
  for (const row of rows) for (const column in row) named.add(column)
  const known = new Set(defined)
  return [...defined.filter((column) => named.has(column)), ...[...named].filter((column) => !known.has(column))]
}

/** The common case, checked without a Set: the row's keys are the table's columns, in order. */
export function namesExactly(row: Row, defined: readonly string[]): boolean {
  let index = 0
  for (const column in row) {
    if (column !== defined[index]) return false
    index++
  }
  return index === defined.length
}

/** The column list of an INSERT, each name quoted. */
export function columnList(columns: readonly string[]): string {
  return columns.map((column) => `\`${column.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``).join(', ')
}
