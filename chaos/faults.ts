// The faults, each injected at moments drawn from the run's seed. A moment is a fraction of the drain
// (rows visible / rows produced) plus a seeded jitter, so every fault lands while rows are moving
// however fast this machine drains, and the next fault waits for progress after the last.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Rng } from './seeded.ts'
import type { FaultContext } from './types.ts'

/** `count` sorted fractions of the drain in [from, to]. */
export function moments(rng: Rng, count: number, from: number, to: number): number[] {
  return Array.from({ length: count }, () => from + rng.next() * (to - from)).sort((a, b) => a - b)
}

function liveSlot(ctx: FaultContext): number | undefined {
  const live = Array.from({ length: ctx.options.processors }, (_, index) => index).filter((index) => ctx.fleet.alive(index))
  return live[ctx.rng.between(0, live.length - 1)]
}

/** Resolves when the drain reaches `fraction`, or once the scenario has seen enough (then true). */
async function untilOrEnough(ctx: FaultContext, fraction: number): Promise<boolean> {
  await ctx.progress.until(fraction, ctx.enough)
  return ctx.enough.aborted
}

/** SIGKILL a live processor at each moment in [from, to] of the drain; each comes back after a seeded 0.2–2 s, without blocking the next kill. */
export function killsWithin(from: number, to: number): (ctx: FaultContext) => Promise<string> {
  return async (ctx) => {
    const restarts: Promise<void>[] = []
    for (const at of moments(ctx.rng, ctx.options.kills, from, to)) {
      if (await untilOrEnough(ctx, at)) break
      await sleep(ctx.rng.between(0, 500))
      let slot = liveSlot(ctx)
      while (slot === undefined) {
        await sleep(100) // every member is between its kill and its restart
        slot = liveSlot(ctx)
      }
      const index = slot
      await ctx.fleet.kill(index)
      ctx.injected.count++
      ctx.progress.faultEnded()
      const delay = ctx.rng.between(200, 2000)
      restarts.push(sleep(delay).then(() => ctx.fleet.start(index)))
    }
    // Every killed member is back before the scenario stops them all.
    await Promise.all(restarts)
    const planned = ctx.options.kills
    return `${ctx.injected.count < planned ? `${ctx.injected.count} of ${planned} planned` : planned} SIGKILLs of ${ctx.options.processors} processors`
  }
}

/** The kills scenarios' schedule: from early in the drain to near its end. */
export const kills = killsWithin(0.03, 0.9)

/** Stop the broker (SIGTERM, a clean shutdown) for a seeded 1–4 s at each moment, then start it on the same ports and data. */
export async function brokerRestarts(ctx: FaultContext): Promise<string> {
  let down = 0
  const { broker } = await ctx.env.kafka()
  for (const at of moments(ctx.rng, ctx.options.brokerRestarts, 0.05, 0.85)) {
    await ctx.progress.until(at)
    const stoppedAt = Date.now()
    await broker.stop()
    ctx.injected.count++
    const pause = ctx.rng.between(1000, 4000)
    // No rows can arrive while the broker is away, and the group needs a session to settle after.
    ctx.progress.extendStall(pause + 60_000)
    await sleep(pause)
    await broker.start()
    down = Math.max(down, Date.now() - stoppedAt)
    ctx.progress.faultEnded()
  }
  return `${ctx.options.brokerRestarts} broker stop/starts (longest down ${(down / 1000).toFixed(1)} s)`
}

/** Stop the ClickHouse server process for `outageMs` once, then start it on the same port and data dir. */
export async function clickhouseOutage(ctx: FaultContext): Promise<string> {
  await ctx.progress.until(0.2 + ctx.rng.next() * 0.3)
  const stoppedAt = Date.now()
  await ctx.env.clickhouse.stop()
  ctx.injected.count++
  ctx.progress.extendStall(ctx.options.outageMs + 60_000)
  await sleep(ctx.options.outageMs)
  await ctx.env.clickhouse.start()
  const down = Date.now() - stoppedAt
  ctx.progress.faultEnded()
  const died = ctx.fleet.unexpected.length
  ctx.notes.push(died === 0 ? 'every processor rode out the outage' : `${died} processor exit(s) during the outage`)
  return `ClickHouse down ${(down / 1000).toFixed(1)} s`
}

/**
 * SIGSTOP one processor until its Kafka session (or Kinesis leases) has long expired and the others
 * have written rows past that, then SIGCONT it. Pulse fences a woken zombie out (it exits non-zero,
 * or, on Kinesis, drops the leases it finds taken); an exited one is restarted.
 */
export async function zombie(ctx: FaultContext): Promise<string> {
  await ctx.progress.until(0.2 + ctx.rng.next() * 0.2)
  const slot = liveSlot(ctx) ?? 0
  ctx.fleet.signal(slot, 'SIGSTOP')
  ctx.injected.count++
  const stoppedAt = Date.now()
  await sleep(2 * Math.max(ctx.options.sessionTimeoutMs, ctx.options.leaseDurationMs))
  // The others have taken its partitions over once rows grow again after the session expired.
  const before = ctx.progress.current()
  await ctx.progress.until(Math.min(1, (before + 0.02 * ctx.progress.target) / ctx.progress.target))
  const frozen = Date.now() - stoppedAt
  ctx.fleet.signal(slot, 'SIGCONT')
  ctx.progress.faultEnded()
  // Restarted whenever it exits, as a supervisor would: a fenced Kinesis worker took 50 s once.
  const ended = ctx.fleet.restartWhenExited(slot)
  const exited = await ctx.fleet.waitExit(slot, 30_000)
  ctx.notes.push(exited ? `woken zombie exited ${await ended} (fenced out) and was restarted` : 'woken zombie kept running 30 s after SIGCONT (restarted when it exits)')
  return `1 SIGSTOP for ${(frozen / 1000).toFixed(1)} s, then SIGCONT`
}
