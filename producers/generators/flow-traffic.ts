// Seeded network traffic: the fleet's initial ip_assignment records, then Poisson flow-log records at
// ratePerSecond, with CIDRs moving between apps over time (release, then assign) and a truth to check against.
import type { IpAssignment, NetworkFlow } from '../../schemas/types.ts'
import type { Generated, Traffic } from '../traffic.ts'
import { FleetState } from './fleet-state.ts'
import { AddressPlan, PoolEntry, REGIONS, addressesOf, cidrText, createApps, initialBlocks, newInterfaceId } from './flow-fleet.ts'
import type { FleetApp, IpOwner } from './flow-fleet.ts'
import { resolveFlowOptions } from './flow-options.ts'
import type { FlowTrafficOptions, ResolvedFlowOptions } from './flow-options.ts'
import { FlowFactory } from './flow-records.ts'
import { AssignmentTimeline } from './flow-truth.ts'
import type { FleetTruth } from './flow-truth.ts'
import { Rng } from './random.ts'
import { TimedQueue } from './timed-queue.ts'

export type FlowGenerated = Extract<Generated, { kind: 'network_flow' | 'ip_assignment' }>

export interface FlowTraffic extends Traffic {
  next(): FlowGenerated
  readonly options: ResolvedFlowOptions
  readonly truth: FleetTruth
}

/** Initial assignments took effect between these long before startTime (the fleet was already running). */
const INITIAL_AGE_MIN_MS = 3_600_000
const INITIAL_AGE_MAX_MS = 30 * 86_400_000
/** A released CIDR sits idle this long (ms) before its new owner takes it. */
const IDLE_MIN_MS = 1
const IDLE_MAX_MS = 30_000

export function createFlowTraffic(options: FlowTrafficOptions = {}): FlowTraffic {
  return new FlowTrafficSource(resolveFlowOptions(options))
}

/** The first `count` records for these options: a pure function of the options, for tests and checks. */
export function generateFlowTraffic(options: FlowTrafficOptions, count: number): FlowGenerated[] {
  const traffic = createFlowTraffic(options)
  const records: FlowGenerated[] = []
  for (let i = 0; i < count; i++) records.push(traffic.next())
  return records
}

/** A reassignment between its release and the new owner taking the CIDR. */
interface PendingAssign {
  released: PoolEntry
  app: FleetApp
  cluster: string
  /** Send time of the release record: the assign is never sent before it, so one key stays in order. */
  releaseSentAt: number
}

class FlowTrafficSource implements FlowTraffic {
  readonly truth: AssignmentTimeline
  private readonly rng: Rng
  private readonly fleet: FleetState
  private readonly flows: FlowFactory
  private readonly outbox = new TimedQueue<FlowGenerated>()
  private readonly pending = new TimedQueue<PendingAssign>()
  private readonly meanGapMs: number
  private clock: number
  private nextReassignAt: number

  constructor(readonly options: ResolvedFlowOptions) {
    const root = new Rng(options.seed)
    const worldRng = root.fork(1)
    this.rng = root.fork(2)
    const apps = createApps(worldRng, options.apps)
    this.truth = new AssignmentTimeline(new Map(apps.map((app) => [app.spec.name, app.spec.port])))
    this.fleet = new FleetState(apps)
    this.placeInitialFleet(worldRng, apps)
    this.flows = new FlowFactory(this.rng, this.fleet)
    this.meanGapMs = 1000 / options.ratePerSecond
    this.clock = options.startTime + this.rng.exponential(this.meanGapMs)
    this.nextReassignAt = options.startTime + options.reassignEverySeconds * 1000
  }

  peekTime(): number {
    this.fill()
    return this.outbox.peekTime()
  }

  next(): FlowGenerated {
    this.fill()
    return this.outbox.pop()
  }

  /** Nothing still to come is sent before the next arrival or the next fleet change. */
  private fill(): void {
    for (;;) {
      const change = Math.min(this.nextReassignAt, this.pending.peekTime())
      if (this.outbox.peekTime() <= Math.floor(Math.min(this.clock, change))) return
      if (change <= this.clock) this.applyChange()
      else this.arrive()
    }
  }

  private arrive(): void {
    const sendTime = Math.floor(this.clock)
    const flow = this.drawFlow(Math.floor(sendTime / 1000))
    this.outbox.push(sendTime, { kind: 'network_flow', key: flow.interface_id, sendTime, record: flow })
    this.clock += this.rng.exponential(this.meanGapMs)
  }

  /** Retries draws whose addresses were assigned too recently for the flow window; rare and brief. */
  private drawFlow(endSecond: number): NetworkFlow {
    const { noDataFraction, unknownFraction } = this.options
    for (;;) {
      const u = this.rng.float()
      const flow =
        u < noDataFraction
          ? this.flows.noData(endSecond)
          : u < noDataFraction + unknownFraction
            ? this.flows.externalFlow(endSecond)
            : this.flows.fleetFlow(endSecond)
      if (flow !== null) return flow
    }
  }

  /** The earlier of the next pending assign and the next reassignment (a pending CIDR is not held). */
  private applyChange(): void {
    const pendingAt = this.pending.peekTime()
    if (pendingAt <= this.nextReassignAt) {
      this.assign(this.pending.pop(), pendingAt)
      return
    }
    this.release(this.nextReassignAt)
    this.nextReassignAt += this.options.reassignEverySeconds * 1000
  }

  /** An app scales in: its CIDR is released now and taken by another app after a short idle time. */
  private release(time: number): void {
    const rng = this.rng
    const entry = this.fleet.pickMovable(rng, time)
    if (entry === null) return
    const others = this.fleet.apps.filter((app) => app !== entry.app)
    const app = rng.pick(others)
    const region = REGIONS.indexOf(entry.owner.region)
    const cluster = rng.pick(app.clusters[region] ?? [])
    this.fleet.remove(entry)
    const effective = Math.floor(time)
    this.truth.record(entry.cidr, entry.base, entry.prefix, effective, null)
    const sentAt = this.sendAssignment(entry.cidr, 'release', entry.owner, effective, effective)
    this.pending.push(effective + rng.between(IDLE_MIN_MS, IDLE_MAX_MS), { released: entry, app, cluster, releaseSentAt: sentAt })
  }

  private assign(change: PendingAssign, time: number): void {
    const { released, app, cluster } = change
    const effective = Math.floor(time)
    const owner: IpOwner = { app: app.spec.name, cluster, region: released.owner.region }
    const entry = new PoolEntry(released.cidr, released.base, released.prefix, released.ips, newInterfaceId(this.rng), app, owner, effective)
    this.fleet.add(entry)
    this.truth.record(entry.cidr, entry.base, entry.prefix, effective, owner)
    this.sendAssignment(entry.cidr, 'assign', owner, effective, change.releaseSentAt)
  }

  /** Sends a change up to assignmentDelayMs after it takes effect: flows meanwhile precede it. */
  private sendAssignment(cidr: string, action: IpAssignment['action'], owner: IpOwner, effective: number, notBefore: number): number {
    const sendTime = Math.max(notBefore, effective + this.rng.between(0, this.options.assignmentDelayMs))
    const record: IpAssignment = { change_id: this.rng.uuid(), cidr, action, ...owner, effective_time: effective }
    this.outbox.push(sendTime, { kind: 'ip_assignment', key: cidr, sendTime, record })
    return sendTime
  }

  /** The fleet as it stands at startTime, its assignments all sent at startTime before any flow. */
  private placeInitialFleet(rng: Rng, apps: readonly FleetApp[]): void {
    const plan = new AddressPlan()
    const start = this.options.startTime
    for (const app of apps) {
      REGIONS.forEach((region, r) => {
        const { prefixes, singles } = initialBlocks(rng, app.spec)
        for (let i = 0; i < prefixes + singles; i++) {
          const [base, prefix] = plan.allocate(r, i >= prefixes)
          const owner: IpOwner = { app: app.spec.name, cluster: rng.pick(app.clusters[r] ?? []), region }
          const effective = start - rng.between(INITIAL_AGE_MIN_MS, INITIAL_AGE_MAX_MS)
          const entry = new PoolEntry(cidrText(base, prefix), base, prefix, addressesOf(base, prefix), newInterfaceId(rng), app, owner, effective)
          this.fleet.add(entry)
          this.truth.record(entry.cidr, base, prefix, effective, owner)
          const record: IpAssignment = { change_id: rng.uuid(), cidr: entry.cidr, action: 'assign', ...owner, effective_time: effective }
          this.outbox.push(start, { kind: 'ip_assignment', key: entry.cidr, sendTime: start, record })
        }
      })
    }
  }
}
