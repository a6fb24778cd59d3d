// Bounds every value of a row by its column's ClickHouse type, before anything is derived from the
// record: ClickHouse would refuse a negative into an unsigned column (after the aggregates had
// counted it) and silently wrap an overflow (dst_port 70000 stored as 4464), so such a record is
// rejected whole at validation, with the column and the range in the reason's detail.
import { columnsOf, type TableName } from './tables.ts'

type Check = (value: unknown) => string | undefined

const SECONDS_MAX = 2 ** 32 - 1
// DateTime64's range: 1900-01-01 to 2299-12-31 (ClickHouse's documented bounds).
const DATETIME64_MIN_MS = Date.UTC(1900, 0, 1)
const DATETIME64_MAX_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999)

function integerIn(low: number, high: number, type: string): Check {
  return (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return `${String(value)} is not an integer (${type})`
    return value < low || value > high ? `${value} is outside ${type} [${low}, ${high}]` : undefined
  }
}

/** The range an integer column holds exactly, or undefined when `type` is no integer type. */
function integerBounds(type: string): readonly [number, number] | undefined {
  const match = /^(U?)Int(8|16|32|64)$/.exec(type)
  if (match === null) return undefined
  const bits = Number(match[2])
  // Beyond 2^53 a JS number is no longer exact: such a value would be stored as a neighbour.
  const exactMax = Number.MAX_SAFE_INTEGER
  if (match[1] === 'U') return [0, Math.min(2 ** bits - 1, exactMax)]
  return [Math.max(-(2 ** (bits - 1)), -exactMax), Math.min(2 ** (bits - 1) - 1, exactMax)]
}

function integerCheck(type: string): Check | undefined {
  const bounds = integerBounds(type)
  return bounds === undefined ? undefined : integerIn(bounds[0], bounds[1], type)
}

function checkFor(type: string): Check {
  const nullable = /^Nullable\((.*)\)$/.exec(type)
  if (nullable !== null) {
    const inner = checkFor(nullable[1] ?? '')
    return (value) => (value === null || value === undefined ? undefined : inner(value))
  }
  const aggregate = /^SimpleAggregateFunction\(\w+, (.*)\)$/.exec(type)
  if (aggregate !== null) return checkFor(aggregate[1] ?? '')
  const integer = integerCheck(type)
  if (integer !== undefined) return integer
  if (type === 'Float64') return (value) => (typeof value === 'number' && Number.isFinite(value) ? undefined : `${String(value)} is not a finite number`)
  if (type === "DateTime('UTC')") return integerIn(0, SECONDS_MAX, 'DateTime seconds')
  if (type === "DateTime64(3, 'UTC')") return integerIn(DATETIME64_MIN_MS, DATETIME64_MAX_MS, 'DateTime64 milliseconds')
  if (type === 'String' || type === 'LowCardinality(String)') return (value) => (typeof value === 'string' ? undefined : `${typeof value} is not a string`)
  // Maps and arrays are built by the processors from checked values, never taken from a record.
  return () => undefined
}

/**
 * A column as the hot loop sees it: most values are settled by a type test and a range, inline, with
 * no call; only a value that fails them (or a type without a quick test) goes to `check`, which also
 * words the problem. The quick test only ever passes what `check` passes.
 */
interface Column {
  readonly name: string
  readonly check: Check
  readonly nullable: boolean
  readonly quick: 'string' | 'integer' | 'none'
  readonly low: number
  readonly high: number
}

function columnOf(name: string, type: string): Column {
  const nullable = /^Nullable\((.*)\)$/.exec(type)
  const inner = nullable?.[1] ?? type
  const bounds = integerBounds(inner) ?? (inner === "DateTime('UTC')" ? [0, SECONDS_MAX] : inner === "DateTime64(3, 'UTC')" ? [DATETIME64_MIN_MS, DATETIME64_MAX_MS] : undefined)
  const quick = inner === 'String' || inner === 'LowCardinality(String)' ? 'string' : bounds === undefined ? 'none' : 'integer'
  return { name, check: checkFor(type), nullable: nullable !== null, quick, low: bounds?.[0] ?? 0, high: bounds?.[1] ?? 0 }
}

function fitsQuickly(column: Column, value: unknown): boolean {
  if (column.nullable && (value === null || value === undefined)) return true
  if (column.quick === 'string') return typeof value === 'string'
  return column.quick === 'integer' && typeof value === 'number' && Number.isInteger(value) && value >= column.low && value <= column.high
}

const compiled = new Map<TableName, readonly Column[]>()

function columnsFor(table: TableName): readonly Column[] {
  let columns = compiled.get(table)
  if (columns === undefined) {
    columns = columnsOf(table).map(([name, type]) => columnOf(name, type))
    compiled.set(table, columns)
  }
  return columns
}

/** The first column whose value its type cannot hold, as "column: why"; undefined when all fit. */
export function columnProblem(table: TableName, row: Readonly<Record<string, unknown>>): string | undefined {
  const columns = columnsFor(table)
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i] as Column
    const value = row[column.name]
    if (fitsQuickly(column, value)) continue
    const problem = column.check(value)
    if (problem !== undefined) return `${column.name}: ${problem}`
  }
  return undefined
}
