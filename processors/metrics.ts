// The processing stages' metrics. Stage and reason are small closed sets; kinds are the three record kinds.
import { Counter, Gauge, type Registry } from 'prom-client'

export interface ProcessorMetrics {
  stageIn: Counter<'stage' | 'kind'>
  stageOut: Counter<'stage' | 'kind'>
  deadLetters: Counter<'stage' | 'reason'>
  unknownIps: Counter<'side'>
  duplicates: Counter
  lateEvents: Counter<'arrival'>
  watermarkDelay: Gauge
  sessionsEnded: Counter<'exit_reason'>
  careActions: Counter<'remedy'>
  holdBack: Gauge
}

export function createProcessorMetrics(registry: Registry): ProcessorMetrics {
  const registers = [registry]
  return {
    stageIn: new Counter({ name: 'pulse_stage_records_in_total', help: 'Records entering a stage.', labelNames: ['stage', 'kind'], registers }),
    stageOut: new Counter({ name: 'pulse_stage_records_out_total', help: 'Records a stage passed on.', labelNames: ['stage', 'kind'], registers }),
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
  }
}
