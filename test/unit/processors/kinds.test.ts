// One handler per record kind: the table is complete at compile time (a kind without a handler is a
// type error, proven by the @ts-expect-error below, which `npm test`'s typecheck holds), and at run
// time it covers exactly the kinds the schemas define.
import { describe, expect, it } from 'vitest'
import { KIND_HANDLERS, type KindHandlers } from '../../../processors/kinds.ts'
import { SCHEMA_FILES } from '../../../schemas/registry.ts'
import { TABLE_NAMES } from '../../../schemas/tables.ts'
import type { RecordKind } from '../../../schemas/types.ts'

/** The handler table's shape for a wider set of kinds, as if a schema for `web_vital` were added. */
type HandlersFor<Kinds extends string> = { readonly [K in Kinds]: KindHandlers[K & RecordKind] }

// @ts-expect-error: a record kind without a handler does not compile
export const incomplete: HandlersFor<RecordKind | 'web_vital'> = KIND_HANDLERS

describe('KIND_HANDLERS', () => {
  it('has a handler for exactly the kinds the schemas define, each writing a defined table', () => {
    expect(Object.keys(KIND_HANDLERS).sort()).toEqual(Object.keys(SCHEMA_FILES).sort())
    for (const handler of Object.values(KIND_HANDLERS)) expect(TABLE_NAMES).toContain(handler.table)
  })
})
