// The library of named questions: each `NAME.sql` beside this file is one report, documented by its
// header comment. Parameters are ClickHouse query parameters (`{since:DateTime}`), bound by the
// engine (embedded or server), never pasted into the SQL; `{database}` is the one textual substitution,
// as in the migrations, because a database name is an identifier.
//
// Header lines (before the first SQL line):
//   -- Title: Short title
//   -- Summary: one line, shown by `pulse report`
//   -- any further comment lines: what it answers, how to read it
//   -- Param name Type = default: what it means      (no "= default": it must be given; "" is empty)
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ReportParam {
  name: string
  type: string
  default: string | undefined
  description: string
}

export interface Report {
  name: string
  title: string
  summary: string
  /** The header's free text: what the report answers and how to read it. */
  about: string[]
  params: ReportParam[]
  sql: string
}

export const REPORTS_DIR = fileURLToPath(new URL('./', import.meta.url))

const PARAM_LINE = /^Param\s+(\w+)\s+(\w+(?:\([^)]*\))?)\s*(?:=\s*("[^"]*"|[^\s:]+))?\s*:\s*(.*)$/

export function loadReports(directory: string = REPORTS_DIR): Report[] {
  return readdirSync(directory)
    .filter((file) => /^[a-z0-9-]+\.sql$/.test(file))
    .sort()
    .map((file) => parseReport(file.slice(0, -4), readFileSync(join(directory, file), 'utf8')))
}

export function parseReport(name: string, text: string): Report {
  const lines = text.split('\n')
  const headerEnd = lines.findIndex((line) => !line.startsWith('--'))
  const header = lines.slice(0, headerEnd === -1 ? lines.length : headerEnd).map((line) => line.replace(/^--\s?/, ''))
  const field = (key: string): string => header.find((line) => line.startsWith(`${key}:`))?.slice(key.length + 1).trim() ?? ''
  const params: ReportParam[] = []
  const about: string[] = []
  for (const line of header) {
    const param = PARAM_LINE.exec(line)
    if (param !== null) params.push({ name: param[1] ?? '', type: param[2] ?? '', default: param[3]?.replace(/^"(.*)"$/, '$1'), description: param[4] ?? '' })
    else if (!/^(Title|Summary):/.test(line)) about.push(line)
  }
  const report = { name, title: field('Title'), summary: field('Summary'), about, params, sql: text.trim().replace(/;\s*$/, '') }
  checkDocumented(report)
  return report
}

/** A placeholder without a Param line would fail only when run; fail on load instead. */
function checkDocumented(report: Report): void {
  if (report.title === '' || report.summary === '') throw new Error(`report ${report.name}: header needs "-- Title:" and "-- Summary:" lines`)
  const documented = new Set(report.params.map((param) => param.name))
  for (const match of report.sql.matchAll(/\{(\w+):[^}]+\}/g)) {
    if (!documented.has(match[1] ?? '')) throw new Error(`report ${report.name}: {${match[1]}} has no "-- Param" line`)
  }
}

/** The SQL for a database, and every parameter's value: given ones, else defaults; missing ones throw. */
export function bindReport(report: Report, database: string, given: Readonly<Record<string, string>>): { sql: string; params: Record<string, string> } {
  const params: Record<string, string> = {}
  for (const name of Object.keys(given)) {
    if (!report.params.some((param) => param.name === name)) throw new Error(`report ${report.name} has no parameter "${name}" (it takes: ${report.params.map((param) => param.name).join(', ')})`)
  }
  for (const param of report.params) {
    const value = given[param.name] ?? param.default
    if (value === undefined) throw new Error(`report ${report.name} needs --param ${param.name}=VALUE (${param.description})`)
    params[param.name] = value
  }
  return { sql: report.sql.replaceAll('{database}', database), params }
}
