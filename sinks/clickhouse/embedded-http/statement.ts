// One statement per request, decided by ClickHouse's own parser, not by patterns on the SQL: the text
// goes to formatQuery() as a string literal (so nothing in it can run), which refuses several
// statements with ClickHouse's SYNTAX_ERROR and answers the statement in its canonical form, without
// comments; that canonical text is what runs. An INSERT's inline data never enters SQL text at all
// (chDB's multi-statement splitter would end Values data at a ';' and other formats at a blank line,
// and run what follows): it is written to a private file and read with `FROM INFILE`, as bytes, so
// binary formats arrive intact. Client-side file clauses a user writes (INTO OUTFILE, FROM INFILE)
// are refused: in clickhouse-local they would read and write the process's files.
import { ClickHouseHttpError, CODES } from './errors.ts'

export type Statement =
  | { kind: 'query'; sql: string; format: string | undefined }
  | { kind: 'insert'; header: string; data: Buffer }

/** Runs one engine query and returns its JSONEachRow lines parsed. */
export type Probe = (sql: string) => Promise<Record<string, unknown>[]>

/** Inline INSERT data must start within this much of the text (the statement before it is small). */
const HEAD_BYTES = 1 << 20
const MAX_CANDIDATES = 8
const DATA_START = /\b(?:FORMAT\s+[A-Za-z0-9_]+|VALUES)\b/gi

/** A ClickHouse string literal holding `text` exactly. */
export function literal(text: string): string {
  return `'${text.replace(/[\\'\0\n\r]/g, (char) => ({ '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r' })[char] ?? char)}'`
}

export async function parseStatement(probe: Probe, text: Buffer): Promise<Statement> {
  const insert = await findInlineInsert(probe, text)
  if (insert !== undefined) return insert
  const sql = await canonical(probe, text.toString('utf8'))
  if (/^\s*INTO OUTFILE /m.test(sql)) throw new ClickHouseHttpError(CODES.INTO_OUTFILE_NOT_ALLOWED, 'INTO OUTFILE is not allowed on Pulse\'s embedded interface. (INTO_OUTFILE_NOT_ALLOWED)')
  if (await isDataInsert(probe, sql)) throw new ClickHouseHttpError(CODES.SYNTAX_ERROR, `Cannot find where the INSERT's data starts (it must follow FORMAT or VALUES within the first ${HEAD_BYTES} bytes). (SYNTAX_ERROR)`)
  return { kind: 'query', sql, format: /\bFORMAT ([A-Za-z0-9_]+)$/.exec(sql)?.[1] }
}

/** The statement as ClickHouse formats it; the engine's own error when it is not exactly one. */
async function canonical(probe: Probe, sql: string): Promise<string> {
  const rows = await probe(`SELECT formatQuery(${literal(sql)}) AS q`)
  const formatted = rows[0]?.q
  return typeof formatted === 'string' ? formatted : ''
}

/**
 * `INSERT … FORMAT X <data>` / `INSERT … VALUES <data>`: tries each place the data could start, in
 * order, and takes the first whose prefix ClickHouse reads as an INSERT expecting data.
 */
async function findInlineInsert(probe: Probe, text: Buffer): Promise<Statement | undefined> {
  // latin1 maps byte i to character i, so match positions are byte offsets into a binary body too.
  const head = text.subarray(0, HEAD_BYTES).toString('latin1')
  if (!/^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*INSERT\b/i.test(head)) return undefined
  let tried = 0
  for (const match of head.matchAll(DATA_START)) {
    if (++tried > MAX_CANDIDATES) break
    const end = match.index + match[0].length
    const header = await canonical(probe, text.subarray(0, end).toString('utf8')).catch(() => undefined)
    if (header === undefined || !(await isDataInsert(probe, header))) continue
    return { kind: 'insert', header, data: text.subarray(dataStart(text, end, /^VALUES$/i.test(match[0]))) }
  }
  return undefined
}

/** After FORMAT's name the data starts past the spaces and one line break, as on the server. */
function dataStart(text: Buffer, end: number, values: boolean): number {
  if (values) return end
  let at = end
  while (at < text.length && (text[at] === 0x20 || text[at] === 0x09 || text[at] === 0x0d)) at++
  return text[at] === 0x0a ? at + 1 : at
}

/** An INSERT that takes its rows from data (not from a SELECT); one naming its own file is refused. */
async function isDataInsert(probe: Probe, sql: string): Promise<boolean> {
  if (!/^INSERT\b/.test(sql) || !/\bFORMAT [A-Za-z0-9_]+$/.test(sql)) return false
  const lines = (await probe(`EXPLAIN AST ${sql}`)).map((row) => (typeof row.explain === 'string' ? row.explain : ''))
  const children = lines.filter((line) => /^ \S/.test(line))
  if (children.some((line) => line.startsWith(' Literal'))) throw new ClickHouseHttpError(CODES.ACCESS_DENIED, 'FROM INFILE is not allowed on Pulse\'s embedded interface: send the data in the request body. (ACCESS_DENIED)')
  return !children.some((line) => line.startsWith(' SelectWithUnionQuery'))
}

/** The INSERT reading `path`: FROM INFILE goes after the table and columns, before SETTINGS and FORMAT. */
export function insertFromFile(header: string, path: string): string {
  const format = header.search(/\s+FORMAT [A-Za-z0-9_]+$/)
  const settings = header.slice(0, format).search(/\nSETTINGS /)
  const at = settings === -1 ? format : settings
  return `${header.slice(0, at)} FROM INFILE ${literal(path)}${header.slice(at)}`
}
