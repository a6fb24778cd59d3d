// The processing stages' metrics. Stage and reason are small closed sets; kinds are the three record kinds.
import { Counter, Gauge, type Registry } from 'prom-client'

export interface ProcessorMetrics {
  stageIn: StageCounter
  stageOut: StageCounter
  deadLetters: Counter<'stage' | 'reason'>
  unknownIps: Counter<'side'>
  duplicates: Counter
  lateEvents: Counter<'arrival'>
  watermarkDelay: Gauge
  sessionsEnded: Counter<'exit_reason'>
  careActions: Counter<'remedy'>
  holdBack: Gauge
  frontierWaits: Counter<'outcome'>
  skippedRecords: Counter<'reason'>
}

export function createProcessorMetrics(registry: Registry): ProcessorMetrics {
  const registers = [registry]
  return {
    stageIn: stageCounter('pulse_stage_records_in_total', 'Records entering a stage.', registry),
    stageOut: stageCounter('pulse_stage_records_out_total', 'Records a stage passed on.', registry),
    deadLetters: new Counter({
      name: 'pulse_dead_letters_total',
      help: 'Records rejected to the dead-letter table, by stage and reason.',
      labelNames: ['stage', 'reason'],
      registers,
    }),
    unknownIps: new Counter({
      name: 'pulse_enrich_unknown_ip_total',
      help: 'Flow addresses no application owned at the flow\'s time (attributed "unknown").',
      labelNames: ['side'],
      registers,
    }),
    duplicates: new Counter({ name: 'pulse_duplicate_events_total', help: 'Client events dropped as repeats of an event id seen within the horizon.', registers }),
    lateEvents: new Counter({
      name: 'pulse_late_events_total',
      help: 'Events that arrived after their window closed: late (a correction) or too_late (dead-lettered, not aggregated).',
      labelNames: ['arrival'],
      registers,
    }),
    watermarkDelay: new Gauge({
      name: 'pulse_watermark_delay_seconds',
      help: 'How far the lowest partition watermark trails the wall clock: the age of the newest window that may still change.',
      registers,
    }),
    sessionsEnded: new Counter({ name: 'pulse_sessions_ended_total', help: 'Playback sessions ended, by exit reason.', labelNames: ['exit_reason'], registers }),
    careActions: new Counter({ name: 'pulse_care_actions_total', help: 'Care actions raised for sessions that went bad, by remedy.', labelNames: ['remedy'], registers }),
    holdBack: new Gauge({
      name: 'pulse_enrich_hold_back_seconds',
      help: 'How long flows are held before enrichment so late IP assignments still attribute them; flows are this much less fresh.',
      registers,
    }),
    frontierWaits: new Counter({
      name: 'pulse_enrich_frontier_waits_total',
      help: 'Flow batches that waited for the IP assignment stream to be written up to their time: caught_up, or gave_up (enriched with what was known after the longest wait).',
      labelNames: ['outcome'],
      registers,
    }),
    skippedRecords: new Counter({
      name: 'pulse_skipped_records_total',
      help: 'Source records that carry no event and are skipped on purpose (CloudWatch Logs CONTROL_MESSAGE), by reason.',
      labelNames: ['reason'],
      registers,
    }),
  }
}

export interface StageLabels {
  stage: string
  kind: string
}

/** A per-record counter: `inc` only tallies; the Prometheus counter takes the tallies when read. */
export interface StageCounter {
  inc(labels: StageLabels): void
}

/**
 * Six stage counts per client event went through prom-client's inc, which hashes and validates the
 * labels on every call (~3% of a drain's CPU profile, BENCHMARKS.md). Tallies keyed by a plain string
 * are added to the counter in its collect hook, which every read (a scrape, registry.metrics(),
 * counter.get()) runs first, so readers see the same totals.
 */
function stageCounter(name: string, help: string, registry: Registry): StageCounter {
  // Keyed stage, then kind: two map lookups and no string built per call.
  const tallies = new Map<string, Map<string, { labels: StageLabels; count: number }>>()
  new Counter({
    name,
    help,
    labelNames: ['stage', 'kind'],
    registers: [registry],
    collect() {
      for (const byKind of tallies.values()) {
        for (const tally of byKind.values()) {
          if (tally.count > 0) this.inc(tally.labels, tally.count)
          tally.count = 0
        }
      }
    },
  })
  return {
    inc(labels) {
      let byKind = tallies.get(labels.stage)
      if (byKind === undefined) tallies.set(labels.stage, (byKind = new Map<string, { labels: StageLabels; count: number }>()))
      const tally = byKind.get(labels.kind)
      if (tally === undefined) byKind.set(labels.kind, { labels: { ...labels }, count: 1 })
      else tally.count++
    },
  }
}
