// Turns a block of rows into an insert body: the bytes of every row in one Buffer, written value by
// value by writers chosen once per table and column list from the column types in schemas/tables.ts,
// with no row arrays and no JSON.stringify of rows in between (BENCHMARKS.md, "Insert bodies").
import type { Row } from '../../../pipeline/rows.ts'
import { columnsOf, TABLE_NAMES, type TableName } from '../../../schemas/tables.ts'
import { binaryWriter, NotBinary } from './binary-values.ts'
import { blockColumns } from './block-columns.ts'
import { ByteWriter } from './byte-writer.ts'
import { isBinaryEncodable, parseColumnType } from './column-type.ts'
import { asJson, jsonWriter, type ValueWriter } from './json-values.ts'

export type InsertFormat = 'JSONCompactEachRow' | 'RowBinary'

export interface InsertBody {
  format: InsertFormat
  columns: readonly string[]
  bytes: Buffer
}

interface Encoder {
  format: InsertFormat
  columns: readonly string[]
  writers: ValueWriter[]
  /** Bytes per row of the last block, to size the next one's buffer in one go. */
  bytesPerRow: number
}

const definedColumns = new Map<string, readonly string[]>()
// A few per table in practice (one column list); the cap only guards against a caller that varies them.
const MAX_ENCODERS = 512
const encoders = new Map<string, Encoder | undefined>()

/** Encodes the rows as `wanted`, or as JSONCompactEachRow when some column or value has no binary form. */
export function encodeBlock(table: string, rows: readonly Row[], wanted: InsertFormat): InsertBody {
  const columns = blockColumns(definedOf(table), rows)
  if (wanted === 'RowBinary') {
    const binary = encoderFor(table, columns, 'RowBinary')
    if (binary !== undefined) {
      try {
        return { format: 'RowBinary', columns, bytes: encode(binary, rows) }
      } catch (error) {
        if (!(error instanceof NotBinary)) throw error
      }
    }
  }
  const json = encoderFor(table, columns, 'JSONCompactEachRow') as Encoder
  return { format: 'JSONCompactEachRow', columns, bytes: encode(json, rows) }
}

/** The RowBinary writers of all of the table's columns, in order; undefined for a table Pulse does not define or one with a column that has no binary form. */
export function tableRowWriters(table: string): { columns: readonly string[]; writers: readonly ValueWriter[] } | undefined {
  const defined = definedOf(table)
  if (defined.length === 0) return undefined
  return encoderFor(table, defined, 'RowBinary')
}

export function isInsertFormat(format: string): format is InsertFormat {
  return format === 'RowBinary' || format === 'JSONCompactEachRow'
}

function definedOf(table: string): readonly string[] {
  let defined = definedColumns.get(table)
  if (defined === undefined) {
    defined = isTableName(table) ? columnsOf(table).map(([name]) => name) : []
    definedColumns.set(table, defined)
  }
  return defined
}

function isTableName(table: string): table is TableName {
  return (TABLE_NAMES as readonly string[]).includes(table)
}

/** The cached encoder of these columns of the table; undefined when a column has no binary form. */
function encoderFor(table: string, columns: readonly string[], format: InsertFormat): Encoder | undefined {
  const key = `${format}\0${table}\0${columns.join('\0')}`
  const cached = encoders.get(key)
  if (cached !== undefined || encoders.has(key)) return cached
  const types = new Map(isTableName(table) ? columnsOf(table) : [])
  const writers: ValueWriter[] = []
  let encoder: Encoder | undefined = { format, columns, writers, bytesPerRow: 64 }
  for (const column of columns) {
    const typeName = types.get(column)
    const type = parseColumnType(typeName ?? 'unknown')
    if (format === 'JSONCompactEachRow') writers.push(typeName === undefined ? asJson : jsonWriter(type, column, typeName))
    else if (typeName !== undefined && isBinaryEncodable(type)) writers.push(binaryWriter(type, column, typeName))
    else encoder = undefined
  }
  if (encoders.size >= MAX_ENCODERS) encoders.clear()
  encoders.set(key, encoder)
  return encoder
}

function encode(encoder: Encoder, rows: readonly Row[]): Buffer {
  const out = new ByteWriter(Math.ceil(rows.length * encoder.bytesPerRow * 1.1))
  const { columns, writers } = encoder
  if (encoder.format === 'RowBinary') {
    for (const row of rows) for (let c = 0; c < columns.length; c++) (writers[c] as ValueWriter)(out, row[columns[c] as string])
  } else {
    for (const row of rows) {
      out.byte(0x5b)
      for (let c = 0; c < columns.length; c++) {
        if (c > 0) out.byte(0x2c)
        ;(writers[c] as ValueWriter)(out, row[columns[c] as string])
      }
      out.ascii(']\n')
    }
  }
  encoder.bytesPerRow = Math.max(8, Math.ceil(out.pos / Math.max(1, rows.length)))
  return out.finish()
}
