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

function integerCheck(type: string): Check | undefined {
  const match = /^(U?)Int(8|16|32|64)$/.exec(type)
  if (match === null) return undefined
  const bits = Number(match[2])
  // Beyond 2^53 a JS number is no longer exact: such a value would be stored as a neighbour.
  const exactMax = Number.MAX_SAFE_INTEGER
  if (match[1] === 'U') return integerIn(0, Math.min(2 ** bits - 1, exactMax), type)
  return integerIn(Math.max(-(2 ** (bits - 1)), -exactMax), Math.min(2 ** (bits - 1) - 1, exactMax), type)
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

const compiled = new Map<TableName, readonly (readonly [string, Check])[]>()

function checksOf(table: TableName): readonly (readonly [string, Check])[] {
  let checks = compiled.get(table)
  if (checks === undefined) {
    checks = columnsOf(table).map(([name, type]) => [name, checkFor(type)] as const)
    compiled.set(table, checks)
  }
  return checks
}

/** The first column whose value its type cannot hold, as "column: why"; undefined when all fit. */
export function columnProblem(table: TableName, row: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, check] of checksOf(table)) {
    const problem = check(row[name])
    if (problem !== undefined) return `${name}: ${problem}`
  }
  return undefined
}
