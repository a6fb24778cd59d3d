// Metric names in PromQL expressions and in a /metrics exposition, so the checks can prove that every
// metric a dashboard or an alert names is one Pulse exports. A name-level scan is enough here: whether
// an expression parses is asked of a real Prometheus (its query API answers 400 to a syntax error).

/** Keywords, and aggregations (which may stand apart from their parenthesis: `sum by (le) (…)`). */
const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'atan2',
  'inf', 'nan', 'start', 'end',
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
  'limitk', 'limit_ratio',
])

/** Grafana's built-in variables in a panel's expression, replaced by a value Prometheus accepts. */
export function substituteGrafanaVariables(expr: string, rangeSeconds = 60): string {
  return expr
    .replaceAll('$__rate_interval', `${rangeSeconds}s`)
    .replaceAll('$__interval', `${rangeSeconds}s`)
    .replaceAll('$__range', `${rangeSeconds}s`)
}

/**
 * The metric names an expression selects. Strings, label matchers, durations and label lists of
 * `by`/`on`/… are removed first; what remains that looks like an identifier and is not a function
 * call or a keyword is a metric name. `{__name__="x"}` selectors are read too.
 */
export function metricNames(expr: string): string[] {
  const names = new Set<string>()
  for (const match of expr.matchAll(/__name__\s*=\s*"([^"]+)"/g)) if (match[1] !== undefined) names.add(match[1])
  const stripped = expr
    .replace(/"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1')
  for (const match of stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match
    if (name === undefined || call !== undefined || KEYWORDS.has(name.toLowerCase())) continue
    names.add(name)
  }
  return [...names].sort()
}

/**
 * Every sample name a /metrics text can carry, from its `# TYPE` lines: a histogram family `x` is
 * the series x_bucket, x_sum and x_count, a summary x, x_sum and x_count. Families declared without
 * samples yet (e.g. Kafka lag in a Kinesis run) count: Pulse exports them as soon as they have values.
 */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>()
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, family, type] = match
    if (family === undefined) continue
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(family + suffix)
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(family + suffix)
    else names.add(family)
  }
  return names
}

/** Series Prometheus itself adds to every scrape target; an alert on `up` is an alert on Pulse. */
export const SCRAPE_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'])
