// The live page's script: polls live.json every second and redraws the tables. Rates are the change
// of each counter between two polls. No framework: the page must work offline, with no build step.
/* global document */
'use strict'
let previous
const number = (value, digits = 0) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }))
function table(id, head, rows) {
  const element = document.getElementById(id)
  element.replaceChildren()
  const tr = (cells, tag) => {
    const row = document.createElement('tr')
    for (const cell of cells) {
      const td = document.createElement(tag)
      td.textContent = cell
      row.append(td)
    }
    element.append(row)
  }
  tr(head, 'th')
  for (const row of rows) tr(row, 'td')
}
function rate(now, key, pick) {
  if (previous === undefined) return null
  const seconds = (now.at - previous.at) / 1000
  return seconds > 0 ? (pick(now)[key] - (pick(previous)[key] ?? 0)) / seconds : null
}
function draw(data) {
  const stages = Object.keys(data.stages).sort()
  table('stages', ['stage', 'records/s', 'total'], [
    ['produced', number(rate(data, 'produced', (d) => d)), number(data.produced)],
    ...stages.map((stage) => [stage, number(rate(data, stage, (d) => d.stages)), number(data.stages[stage])]),
    ['rows written', number(rate(data, 'rowsWritten', (d) => d)), number(data.rowsWritten)],
  ])
  table('freshness', ['', 'seconds'], [
    ...Object.entries(data.freshnessSeconds).map(([name, seconds]) => [`freshness ${name} (mean)`, number(seconds, 2)]),
    ['Kinesis behind latest', number(data.lagSeconds, 1)],
    ['Kafka lag (records)', number(data.lagRecords)],
  ])
  table('dead-letters', ['stage / reason', 'count'], Object.entries(data.deadLetters).map(([key, count]) => [key, number(count)]))
  table('qoe', ['cdn', 'attempts', 'plays', 'failure rate', 'start-up p50 ms', 'start-up p90 ms', 'rebuffer ratio'],
    data.qoe.map((row) => [row.cdn || '(none)', number(row.attempts), number(row.plays), number(row.failure_rate, 4), number(row.startup_p50_ms), number(row.startup_p90_ms), number(row.rebuffer_ratio, 4)]))
  const updated = document.getElementById('updated')
  updated.textContent = `updated ${new Date(data.at).toISOString()}`
  updated.dataset.at = String(data.at)
  updated.dataset.since = String(data.since)
  previous = data
}
async function poll() {
  try {
    const response = await fetch('live.json', { cache: 'no-store' })
    if (response.ok) draw(await response.json())
  } finally {
    setTimeout(poll, 1000)
  }
}
poll()
