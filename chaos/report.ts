// The chaos table: printed by `npm run chaos` and written into RELIABILITY.md between its markers
// (the rest of the file stays as it is).
import type { ScenarioResult } from './types.ts'

const int = (value: number): string => (Number.isNaN(value) ? '?' : Math.round(value).toLocaleString('en-US'))

export function table(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'faults', 'events', 'lost', 'duplicated', 'aggregates and sessions vs oracle', 'peak RSS MiB', 'longest recovery', 'result']
  const rows = results.map((r) => [
    r.name,
    r.faults,
    `${int(r.events)} + ${int(r.flows)} flows`,
    lostCell(r),
    int(r.duplicated),
    r.oracle,
    int(r.peakRssMiB),
    `${(r.longestRecoveryMs / 1000).toFixed(1)} s`,
    `${r.passed ? 'PASS' : 'FAIL'} (${r.seconds.toFixed(0)} s)`,
  ])
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

function lostCell(r: ScenarioResult): string {
  if (!r.lossJudged) return `not judged (stopped at ${int(r.events + r.flows - r.lost)} rows, once duplicates showed)`
  // A scenario that gave up (a stall) counts as lost what had not arrived by then.
  if (r.notes.some((note) => note.startsWith('FAILED')) && r.lost > 0) return `${int(r.lost)} (missing when it gave up)`
  return int(r.lost)
}

export function notes(results: readonly ScenarioResult[]): string {
  return results
    .filter((r) => r.notes.length > 0)
    .map((r) => `- ${r.name}: ${r.notes.join('; ')}`)
    .join('\n')
}
