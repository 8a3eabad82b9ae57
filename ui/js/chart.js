// A small SVG line chart for time series (message rates, queue depths): a y axis with rounded ticks,
// clock times along x, one line per series coloured by CSS class (.series-0, .series-1, ...), and a
// legend with the latest values. No chart library: this is all the console needs.
import { h, replace, s } from './dom.js'

const W = 640
const H = 200
const PAD = { left: 52, right: 14, top: 10, bottom: 24 }
const MIN_SPAN_MS = 60_000

/**
 * series: [{ key, label }]; format: value → text for the legend (and the axis unless tickFormat is
 * given); integer: ticks on whole numbers (depths). update(samples) redraws from [{ t, values: { [key]: number } }], oldest first.
 */
export function lineChart({ title, series, format, tickFormat = format, integer = false }) {
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': title })
  const legend = h('ul', { class: 'legend' })
  const el = h('figure', { class: 'chart' }, h('figcaption', {}, title), svg, legend)
  const update = (samples) => {
    draw(svg, samples, series, tickFormat, integer)
    drawLegend(legend, samples.at(-1), series, format)
  }
  update([])
  return { el, update }
}

function draw(svg, samples, series, format, integer) {
  const end = samples.at(-1)?.t ?? Date.now()
  const start = Math.min(samples[0]?.t ?? end, end - MIN_SPAN_MS)
  let max = 0
  for (const p of samples) for (const { key } of series) max = Math.max(max, p.values[key] ?? 0)
  const { top, step } = niceScale(max, integer)
  const x = (t) => PAD.left + ((t - start) / (end - start)) * (W - PAD.left - PAD.right)
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom)
  const grid = []
  for (let v = 0; v <= top + step / 2; v += step) {
    grid.push(s('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }))
    grid.push(s('text', { class: 'tick', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v)))
  }
  for (let i = 0; i <= 3; i++) {
    const t = start + ((end - start) * i) / 3
    const anchor = i === 0 ? 'start' : i === 3 ? 'end' : 'middle'
    grid.push(s('text', { class: 'tick', x: x(t), y: H - 6, 'text-anchor': anchor }, clock(t)))
  }
  const lines = series.map(({ key }, i) => {
    const pts = samples.map((p) => `${x(p.t).toFixed(1)},${y(p.values[key] ?? 0).toFixed(1)}`)
    const last = samples.at(-1)
    return s(
      'g',
      { class: `series-${i}` },
      pts.length > 1 ? s('polyline', { class: 'line', points: pts.join(' ') }) : null,
      last ? s('circle', { class: 'dot', cx: x(last.t), cy: y(last.values[key] ?? 0), r: 3 }) : null,
    )
  })
  const note =
    samples.length < 2
      ? s('text', { class: 'note', x: W / 2, y: H / 2 - 10, 'text-anchor': 'middle' }, 'Collecting samples…')
      : null
  replace(svg, s('title', {}, svg.getAttribute('aria-label')), grid, lines, note)
}

/** A top value and tick step of 1, 2, 2.5 or 5 × 10^n giving about four ticks. */
export function niceScale(max, integer) {
  if (!(max > 0)) return { top: integer ? 4 : 1, step: integer ? 1 : 0.25 }
  const raw = max / 4
  const mag = 10 ** Math.floor(Math.log10(raw))
  const norm = raw / mag
  let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag
  if (integer) step = Math.max(1, Math.round(step))
  return { top: step * Math.ceil(max / step), step }
}

function drawLegend(legend, last, series, format) {
  replace(
    legend,
    series.map(({ key, label }, i) =>
      h(
        'li',
        { class: `series-${i}` },
        h('span', { class: 'swatch' }),
        h('span', { class: 'label' }, label),
        h('span', { class: 'value' }, last ? format(last.values[key] ?? 0) : '–'),
      ),
    ),
  )
}

const clock = (t) =>
  new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
