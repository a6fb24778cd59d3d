// schemas/tables.ts is the one definition of the tables the pipeline writes; the migrations create
// them. This holds the two together: after every migration has run on the real engine, each table
// has exactly the defined columns, in order, with the defined types.
import { describe, expect, it } from 'vitest'
import { migrate } from '../../sinks/clickhouse/migrate.ts'
import { columnsOf, TABLE_NAMES } from '../../schemas/tables.ts'
import { embeddedClickHouse, uniqueName } from '../helpers/services.ts'

describe('table definitions', () => {
  it('match the columns the migrations create, table by table', async () => {
    const { client } = embeddedClickHouse().clickhouse
    const database = uniqueName('table_columns')
    await migrate(client, database)
    const result = await client.query({
      query: 'SELECT table, name, type FROM system.columns WHERE database = {database:String} ORDER BY table, position',
      query_params: { database },
      format: 'JSONEachRow',
    })
    const created = new Map<string, [string, string][]>()
    for (const { table, name, type } of await result.json<{ table: string; name: string; type: string }>()) {
      created.set(table, [...(created.get(table) ?? []), [name, type]])
    }
    for (const table of TABLE_NAMES) expect(created.get(table), table).toEqual(columnsOf(table))
  })
})
