// Writes blocks of rows to ClickHouse. A block is one insert carrying one deduplication token, so the
// sink can retry it as often as the server needs: a repeat of an acknowledged block is dropped by
// ClickHouse. Transient failures are retried without end (the pipeline upstream waits, which is the
// backpressure); rows ClickHouse rejects as bad data are isolated by halving the block and returned
// to the caller for the dead-letter table, so one bad row never stops the stream.
import type { Logger } from 'pino'
import type { Block, EncodedRows, RejectedRow, RowBuffer, Sink } from '../../pipeline/sink.ts'
import type { ClickHouse } from './connection.ts'
import { classifyInsertError, clickHouseCode, retryCause } from './errors.ts'
import type { SinkMetrics } from './metrics.ts'
import { retry, worthLogging, type RetryOptions } from '../../runtime/retry.ts'
import { errorMessage } from '../../runtime/errors.ts'
import { migrate, type MigrationReport } from './migrate.ts'
import { encodeBlock, isInsertFormat, type InsertBody } from './encode/block-encoder.ts'
import { binaryRowBuffer } from './encode/row-buffer.ts'
import { insertFormatFor, sendInsert } from './insert-sender.ts'
import { randomUUID } from 'node:crypto'

/** Attempts at the schema while tables seem missing: long enough for another processor's migration to finish. */
const MIGRATION_RACE_RETRIES = 8
/** UNKNOWN_IDENTIFIER, UNKNOWN_TABLE, UNKNOWN_DATABASE: what a half-migrated database answers (a wrong password still fails at once). */
const MISSING_OBJECT_CODES = new Set([47, 60, 81])

export interface SinkOptions {
  database: string
  metrics: SinkMetrics
  logger: Logger
  retry?: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs'>
  signal?: AbortSignal
}

export class ClickHouseSink implements Sink {
  private readonly retry: RetryOptions
  private writable = true

  constructor(
    private readonly clickhouse: ClickHouse,
    private readonly options: SinkOptions,
  ) {
    this.retry = { attempts: Infinity, initialDelayMs: 200, maxDelayMs: 10_000, ...options.retry }
  }

  get database(): string {
    return this.options.database
  }

  /** True unless the last insert attempt failed; /readyz reports it. */
  get isWritable(): boolean {
    return this.writable
  }

  /**
   * Brings the schema up to date. Every statement is idempotent, so a transient failure (a server
   * starting or busy: the embedded interface answers TOO_MANY_SIMULTANEOUS_QUERIES while other
   * processors write) is retried like an insert. A missing table is retried a few times too: a
   * processor started beside others on a fresh database meets tables another one is creating or
   * replacing (012 drops and creates qoe_1m). A misconfiguration that lasts ends the start.
   */
  async start(): Promise<MigrationReport> {
    let missing = 0
    return retry(() => migrate(this.clickhouse.client, this.options.database, undefined, { cluster: this.clickhouse.cluster }), {
      ...this.retry,
      retriable: (error) => {
        if (classifyInsertError(error) === 'transient') return true
        return MISSING_OBJECT_CODES.has(clickHouseCode(error) ?? 0) && ++missing <= MIGRATION_RACE_RETRIES
      },
      cause: retryCause,
      onRetry: (error, attempt) => {
        this.options.metrics.retries.inc({ cause: retryCause(error) })
        if (worthLogging(attempt)) this.options.logger.warn({ attempt, err: errorMessage(error) }, 'preparing the ClickHouse schema failed; retrying')
      },
      ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
    })
  }

  async healthcheck(): Promise<boolean> {
    const result = await this.clickhouse.client.ping()
    return result.success
  }

  /** Inserts the block; resolves with the rows ClickHouse refused as bad data (usually none). */
  async write(block: Block): Promise<RejectedRow[]> {
    const size = rowsIn(block)
    if (size === 0) return []
    const outcome = await this.insertWithRetry(block, size)
    if (outcome === 'ok') return []
    if (size === 1) return [refusedRow(block, outcome.error)]
    // Halves carry derived tokens, so a replay that meets the same bad row splits the same way.
    const rejected: RejectedRow[] = []
    for (const [index, half] of halves(block).entries()) {
      const token = block.token === undefined ? undefined : `${block.token}/${index}`
      rejected.push(...(await this.write({ ...half, token })))
    }
    return rejected
  }

  /** Encodes the table's rows as they arrive (RowBinary, the format both connection kinds take). */
  rowBuffer(table: string): RowBuffer | undefined {
    return insertFormatFor(this.clickhouse.kind) === 'RowBinary' ? binaryRowBuffer(table) : undefined
  }

  /**
   * Runs another write the pipeline cannot do without (checkpoints) under the same policy as inserts:
   * transient failures are retried until they pass, and the sink reports itself unwritable meanwhile.
   */
  async retrying<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const result = await retry(() => operation(), this.policy(what))
    this.writable = true
    return result
  }

  private async insertWithRetry(block: Block, size: number): Promise<'ok' | { error: string }> {
    // The token goes in the INSERT's own SETTINGS clause (insert-sender.ts), scoped to this statement. Passed as
    // clickhouse_settings, the chDB adapter would run `SET insert_deduplication_token = …` on its
    // session, where it sticks: later inserts without a token of their own would reuse it and be
    // dropped as duplicates. Without any token ClickHouse dedupes blocks by content hash (even with
    // insert_deduplicate = 0 on non-replicated tables), which would drop a legitimately repeated
    // rollup block, so a block without a deterministic token gets a random one.
    const token = block.token ?? randomUUID()
    const target = { database: this.options.database, table: block.table, token }
    try {
      // Encoded once: every retry sends the same bytes. A value no format can store exactly is refused
      // here (RowEncodingError, bad data) and isolated by the halving like a row the server refused.
      const body = block.encoded === undefined ? encodeBlock(block.table, block.rows, insertFormatFor(this.clickhouse.kind)) : encodedBody(block.encoded)
      const seconds = await retry(async () => {
        const started = performance.now()
        await sendInsert(this.clickhouse, target, body)
        return (performance.now() - started) / 1000
      }, this.policy(block.table))
      this.recordSuccess(block.table, size, seconds)
      return 'ok'
    } catch (error) {
      if (classifyInsertError(error) !== 'bad_data') throw error
      this.options.metrics.inserts.inc({ table: block.table, result: 'rejected' })
      return { error: rejectionReason(error) }
    }
  }

  /**
   * The sink's retry policy: transport and server trouble, and a misconfiguration someone may fix
   * (a missing grant or table), are retried without end; bad data and Pulse's own non-retriable
   * errors are not. The pipeline upstream waits meanwhile: that is the backpressure.
   */
  private policy(table: string): RetryOptions {
    return {
      ...this.retry,
      retriable: (error) => {
        const failure = classifyInsertError(error)
        return failure === 'transient' || failure === 'misconfigured'
      },
      cause: retryCause,
      onRetry: (error, attempt, _delayMs, cause) => this.noteRetry(table, error, attempt, cause),
      ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
    }
  }

  private recordSuccess(table: string, rows: number, seconds: number): void {
    const { metrics } = this.options
    this.writable = true
    metrics.inserts.inc({ table, result: 'ok' })
    metrics.rows.inc({ table }, rows)
    metrics.insertSeconds.observe({ table }, seconds)
    metrics.blockRows.observe({ table }, rows)
    metrics.lastAckTimestamp.set(Date.now() / 1000)
  }

  private noteRetry(table: string, error: unknown, attempt: number, cause: string): void {
    const { metrics, logger } = this.options
    this.writable = false
    metrics.inserts.inc({ table, result: 'retried' })
    metrics.retries.inc({ cause })
    if (!worthLogging(attempt)) return
    if (classifyInsertError(error) === 'misconfigured') logger.error({ table, attempt, err: errorMessage(error) }, 'insert refused; check the ClickHouse schema and user')
    else logger.warn({ table, attempt, err: errorMessage(error) }, 'insert failed; retrying')
  }
}

function rowsIn(block: Block): number {
  return block.encoded?.rowStarts.length ?? block.rows.length
}

function refusedRow(block: Block, error: string): RejectedRow {
  if (block.encoded === undefined) return { table: block.table, row: block.rows[0], error }
  return { table: block.table, row: undefined, encoded: { format: block.encoded.format, bytes: block.encoded.bytes }, error }
}

/** The block's first and second half (by rows), each still encoded if it was. */
function halves(block: Block): [Omit<Block, 'token'>, Omit<Block, 'token'>] {
  const { table, encoded } = block
  if (encoded === undefined) {
    const middle = Math.ceil(block.rows.length / 2)
    return [
      { table, rows: block.rows.slice(0, middle) },
      { table, rows: block.rows.slice(middle) },
    ]
  }
  const middle = Math.ceil(encoded.rowStarts.length / 2)
  const cut = encoded.rowStarts[middle] as number
  const half = (from: number, to: number, starts: readonly number[]): Omit<Block, 'token'> => ({ table, rows: [], encoded: { ...encoded, bytes: encoded.bytes.subarray(from, to), rowStarts: starts.map((start) => start - from) } })
  return [half(0, cut, encoded.rowStarts.slice(0, middle)), half(cut, encoded.bytes.length, encoded.rowStarts.slice(middle))]
}

function encodedBody(encoded: EncodedRows): InsertBody {
  if (!isInsertFormat(encoded.format)) throw new Error(`rows encoded as ${encoded.format}, which this sink does not insert`)
  return { format: encoded.format, columns: encoded.columns, bytes: encoded.bytes }
}

/** ClickHouse's reason with its error code: the adapter's message alone leaves the code out. */
function rejectionReason(error: unknown): string {
  const message = errorMessage(error)
  const code = clickHouseCode(error)
  return code === undefined || message.includes(`Code: ${code}`) ? message : `ClickHouse error ${code}: ${message}`
}
