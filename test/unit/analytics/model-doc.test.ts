// docs/analytics.md is what analysts read the model from: every column Pulse writes must be in it,
// in the row of its table, so a migration that adds a column cannot leave the document behind.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { columnsOf, TABLE_NAMES } from '../../../schemas/tables.ts'

const DOC = readFileSync(new URL('../../../docs/analytics.md', import.meta.url), 'utf8')

function tableRow(table: string): string | undefined {
  return DOC.split('\n').find((line) => line.startsWith(`| \`${table}\` |`))
}

describe('docs/analytics.md', () => {
  it.each(TABLE_NAMES)('describes every column of %s', (table) => {
    const row = tableRow(table)
    expect(row, `no row for ${table}`).toBeDefined()
    const missing = columnsOf(table).map(([name]) => name).filter((name) => !(row ?? '').includes(`\`${name}\``))
    expect(missing).toEqual([])
  })
})
