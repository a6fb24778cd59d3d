// What every contender's child measures the same way: rows visible in ClickHouse (polled, never slept
// on blindly), this process's CPU and peak RSS, and in the paced run each row's freshness.
import { readdirSync, readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { ClickHouseClient } from '@clickhouse/client'

const POLL_MS = 100

export async function countRows(client: ClickHouseClient, table: string): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })
  const rows = await result.json<{ n: string }>()
  return Number(rows[0]?.n ?? 0)
}

/** Polls until each table holds at least its target count; throws after `timeoutMs`. */
export async function waitForRows(client: ClickHouseClient, targets: Record<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let done = true
    for (const [table, target] of Object.entries(targets)) {
      if (target > 0 && (await countRows(client, table)) < target) done = false
    }
    if (done) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(targets)}`)
    await sleep(POLL_MS)
  }
}

/** CPU seconds (user + system, every thread of this process: chDB's included) since `from`. */
export function cpuSeconds(from: NodeJS.ResourceUsage): number {
  const now = process.resourceUsage()
  return (now.userCPUTime - from.userCPUTime + now.systemCPUTime - from.systemCPUTime) / 1e6
}

/** Peak resident set of this process (VmHWM), bytes; process.resourceUsage().maxRSS as a fallback. */
export function peakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
  return match?.[1] !== undefined ? Number(match[1]) * 1024 : process.resourceUsage().maxRSS * 1024
}

/**
 * Freshness of client_events rows: with merges stopped, every insert is a new part, so a part first
 * seen at poll time T holds rows that became visible between the previous poll and T. Each row's
 * freshness is T minus its client_send_time (stamped by the paced producer when it sent the record).
 */
export async function watchFreshness(client: ClickHouseClient, table: string, count: number, timeoutMs: number): Promise<number[]> {
  await client.command({ query: `SYSTEM STOP MERGES ${table}` })
  const seen = new Set<string>()
  const samples: number[] = []
  const deadline = Date.now() + timeoutMs
  const [database, name] = table.split('.')
  while (samples.length < count) {
    if (Date.now() > deadline) throw new Error(`timed out with ${samples.length} of ${count} rows visible`)
    const listed = await client.query({ query: `SELECT name FROM system.parts WHERE database = '${database ?? ''}' AND table = '${name ?? ''}' AND active`, format: 'JSONEachRow' })
    const visibleAt = Date.now()
    const fresh = (await listed.json<{ name: string }>()).map((part) => part.name).filter((part) => !seen.has(part))
    if (fresh.length > 0) {
      for (const part of fresh) seen.add(part)
      const inList = fresh.map((part) => `'${part}'`).join(',')
      const rows = await client.query({ query: `SELECT toUnixTimestamp64Milli(client_send_time) AS sent FROM ${table} WHERE _part IN (${inList})`, format: 'JSONCompactEachRow' })
      for (const [sent] of await rows.json<[string | number]>()) samples.push(visibleAt - Number(sent))
    }
    await sleep(POLL_MS)
  }
  return samples
}

export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/**
 * CPU seconds of this process's threads so far, summed by kind: the thread name without its number
 * (V8's GC and compiler workers are "V8Worker", chDB's insert and query pools "ThreadPool" and
 * "QueryPipelineEx", its merges "MergeMutate", libuv's pool, where chDB's async queries run,
 * "libuv-worker"). Linux only; empty elsewhere. Threads that ended are not counted.
 */
export function threadCpuSeconds(): Record<string, number> {
  const byKind: Record<string, number> = {}
  let tasks: string[]
  try {
    tasks = readdirSync('/proc/self/task')
  } catch {
    return byKind
  }
  const ticksPerSecond = 100
  for (const task of tasks) {
    let stat: string
    try {
      stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8')
    } catch {
      continue
    }
    // The name sits in parentheses and may hold spaces; the fields after it are space-separated.
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    byKind[name] = (byKind[name] ?? 0) + ticks / ticksPerSecond
  }
  return byKind
}

/** `now` minus `before`, kind by kind, keeping kinds that used at least 0.05 s. */
export function threadCpuSince(before: Record<string, number>, now = threadCpuSeconds()): Record<string, number> {
  const spent: Record<string, number> = {}
  for (const [kind, seconds] of Object.entries(now)) {
    const delta = seconds - (before[kind] ?? 0)
    if (delta >= 0.05) spent[kind] = Math.round(delta * 100) / 100
  }
  return spent
}
