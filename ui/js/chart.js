// Time-series charts (queue depths, message rates) drawn by uPlot: values under the cursor in the legend,
// drag across the plot to zoom (double-click to zoom out), and a time-range menu as RabbitMQ's console
// offers. The history comes from the server (RabbitMQ's lengths_age/msg_rates_age samples), so a chart
// has it as soon as the page opens.
import uPlot from '../vendor/uplot/uPlot.esm.js'
import { h } from './dom.js'

/** The ranges RabbitMQ's console offers, with the sample spacing its retention policies keep. */
export const RANGES = [
  { label: 'Last minute', age: 60, incr: 5 },
  { label: 'Last ten minutes', age: 600, incr: 5 },
  { label: 'Last hour', age: 3600, incr: 60 },
  { label: 'Last eight hours', age: 28800, incr: 600 },
  { label: 'Last day', age: 86400, incr: 1800 },
]

const COLOURS = ['#2f6fb3', '#d9822b', '#3c9a5f', '#9b59b6']
let chosen = 0 // one range for every chart, as RabbitMQ's console keeps one

/** The range charts ask for now (index into RANGES). */
export const currentRange = () => RANGES[chosen]

/**
 * series: [{ key, label }]; format: value → text (legend and axis); integer: depths. update(points)
 * redraws from [{ t (ms), values: { [key]: number } }], oldest first. onRange is called when the user
 * picks another range.
 */
export function lineChart({ title, series, format, integer = false, onRange = () => {} }) {
  const plot = h('div', { class: 'chart-plot' })
  const select = h(
    'select',
    { class: 'chart-range', 'aria-label': `${title}: time range` },
    RANGES.map((r, i) => h('option', { value: String(i), selected: i === chosen }, r.label)),
  )
  select.addEventListener('change', () => {
    chosen = Number(select.value)
    onRange(currentRange())
  })
  const el = h('figure', { class: 'chart' }, h('figcaption', {}, title, ' ', select), plot)
  let u
  const update = (points) => {
    const data = [
      points.map((p) => p.t / 1000),
      ...series.map(({ key }) => points.map((p) => p.values[key] ?? 0)),
    ]
    if (!u) u = new uPlot(options(series, format, integer, plot), data, plot)
    else u.setData(data)
  }
  return { el, update }
}

function options(series, format, integer, plot) {
  return {
    width: Math.max(320, plot.clientWidth || 640),
    height: 200,
    cursor: { drag: { x: true, y: false } },
    scales: { y: { range: (_u, _min, max) => [0, niceMax(max, integer)] } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => format(t)), size: 64 }],
    series: [
      { label: 'Time', value: (_u, v) => (v == null ? '' : new Date(v * 1000).toLocaleTimeString()) },
      ...series.map(({ label }, i) => ({
        label,
        stroke: COLOURS[i % COLOURS.length],
        width: 2,
        value: (_u, v) => (v == null ? '' : format(v)),
      })),
    ],
  }
}

function niceMax(max, integer) {
  if (!(max > 0)) return integer ? 10 : 1
  const pow = 10 ** Math.floor(Math.log10(max))
  const top = [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= max) ?? max
  return integer ? Math.max(1, Math.ceil(top)) : top
}

/** Points from a `<name>_details.samples` series: depths as they are. */
export function depthPoints(detailsByKey) {
  return toPoints(detailsByKey, (s) => s.map((p) => p.sample))
}

/** Points from counter samples: the rate over each step, per second. */
export function ratePoints(detailsByKey, incr) {
  const rate = (s) => s.map((p, i) => (i + 1 < s.length ? Math.max(0, p.sample - s[i + 1].sample) / incr : 0))
  // The oldest sample has no step before it, and the newest interval is not over (the server may not
  // have read it yet): both are left out rather than drawn as false zeros.
  return toPoints(detailsByKey, rate).slice(1, -1)
}

/** detailsByKey: { [key]: details with samples newest first } → points oldest first. */
function toPoints(detailsByKey, transform) {
  const keys = Object.keys(detailsByKey)
  const first = detailsByKey[keys[0]]?.samples ?? []
  const values = Object.fromEntries(keys.map((k) => [k, transform(detailsByKey[k]?.samples ?? [])]))
  const points = first.map((p, i) => ({
    t: p.timestamp,
    values: Object.fromEntries(keys.map((k) => [k, values[k][i] ?? 0])),
  }))
  return points.reverse()
}

/** The query string that asks for a range's samples. */
export function rangeQuery(r = currentRange()) {
  return `lengths_age=${r.age}&lengths_incr=${r.incr}&msg_rates_age=${r.age}&msg_rates_incr=${r.incr}`
}

/** The message rates chart the overview and queue pages show (publish, deliver/get, consumer ack). */
export function messageRatesChart(format, onRange) {
  return lineChart({
    title: 'Message rates',
    series: [
      { key: 'publish', label: 'Publish' },
      { key: 'deliver', label: 'Deliver / get' },
      { key: 'ack', label: 'Consumer ack' },
    ],
    format,
    onRange,
  })
}

/** Its points from a message_stats object. */
export const messageRatePoints = (ms = {}, incr) =>
  ratePoints({ publish: ms.publish_details, deliver: ms.deliver_get_details, ack: ms.ack_details }, incr)
