// Seeded, realistic traffic for the pipeline: client events and network flows with IP assignments.
// Both are deterministic for a seed, so tests and benchmarks can regenerate exactly what was sent.
export { createClientTraffic, generateClientTraffic } from './client-traffic.ts'
export type { ClientGenerated, ClientTraffic } from './client-traffic.ts'
export { CLIENT_DEFAULTS, resolveClientOptions } from './client-options.ts'
export type { ClientTrafficOptions, ResolvedClientOptions } from './client-options.ts'
export { BAD_CDN, BAD_ISP } from './client-catalog.ts'
export { createFlowTraffic, generateFlowTraffic } from './flow-traffic.ts'
export type { FlowGenerated, FlowTraffic } from './flow-traffic.ts'
export { FLOW_DEFAULTS, resolveFlowOptions } from './flow-options.ts'
export type { FlowTrafficOptions, ResolvedFlowOptions } from './flow-options.ts'
export type { FleetTruth } from './flow-truth.ts'
export type { IpOwner } from './flow-fleet.ts'
export { Rng, WeightedTable, hash32 } from './random.ts'
