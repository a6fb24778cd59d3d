// The processing stages' metrics. Stage and reason are small closed sets; kinds are the three record kinds.
import { Counter, type Registry } from 'prom-client'

export interface ProcessorMetrics {
  stageIn: Counter<'stage' | 'kind'>
  stageOut: Counter<'stage' | 'kind'>
  deadLetters: Counter<'stage' | 'reason'>
  unknownIps: Counter<'side'>
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
  }
}
