#!/usr/bin/env node
// Turns a results directory of the benchmark (the harness's <broker>.json summaries) into table.md (the
// harness's own markdown table: median and min-max per metric, one column per broker) and two SVG plots,
// throughput.svg and latency.svg: one panel per scenario, a bar per broker at the median with a whisker
// from min to max. The SVG is written by hand: no plotting dependency.
//
//   node bench/report.mjs --results DIR [--amqpbench PATH] [--brokers warren,rabbitmq,garagemq]
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const args = parseArgs(process.argv.slice(2))
const dir = args.results ?? fail('--results DIR is required')
const order = (args.brokers ?? 'warren,rabbitmq,garagemq').split(',')
const files = order.map((b) => join(dir, `${b}.json`)).filter((f) => existsSync(f))
if (files.length === 0) fail(`no <broker>.json summaries in ${dir}`)
const data = Object.assign({}, ...files.map((f) => JSON.parse(readFileSync(f, 'utf8'))))
const brokers = order.filter((b) => data[b])

if (args.amqpbench && existsSync(args.amqpbench)) {
  const table = execFileSync(args.amqpbench, ['-scenario', 'table', ...files], { encoding: 'utf8' })
  writeFileSync(join(dir, 'table.md'), table)
  process.stdout.write(table)
}

const THROUGHPUT = [
  ['S1', 'cons_rate', 'S1 16 B flood', 'consumed msg/s'],
  ['S2', 'cons_rate', 'S2 1 KiB flood', 'consumed msg/s'],
  ['S3', 'confirm_rate', 'S3 persistent, confirms, acks', 'confirmed msg/s'],
  ['S4', 'cons_rate', 'S4 fanout x10', 'delivered msg/s'],
  ['S5', 'cons_rate', 'S5 50 pub + 50 cons', 'consumed msg/s'],
  ['S7-PUBLISH', 'publish_rate', 'S7 publish 1M persistent', 'confirmed msg/s'],
  ['S7-DRAIN', 'drain_rate', 'S7 drain 1M', 'consumed msg/s'],
]
const LATENCY = [
  ['S6', 'lat_p50_ms', 'S6 1000 msg/s: p50', 'ms'],
  ['S6', 'lat_p99_ms', 'S6: p99', 'ms'],
  ['S6', 'lat_p999_ms', 'S6: p99.9', 'ms'],
  ['S6', 'lat_max_ms', 'S6: max', 'ms'],
]
const COLORS = { warren: '#1c7ed6', rabbitmq: '#f08c00', garagemq: '#2f9e44' }
const PALETTE = ['#7048e8', '#e03131', '#0c8599']

for (const [name, panels, title] of [
  [
    'throughput.svg',
    THROUGHPUT,
    'Throughput per scenario (median of runs; whiskers: min–max; higher is better)',
  ],
  [
    'latency.svg',
    LATENCY,
    'S6 end-to-end latency at 1,000 msg/s (median of runs; whiskers: min–max; lower is better)',
  ],
]) {
  const present = panels.filter(([s, m]) => brokers.some((b) => data[b][s]?.metrics?.[m]))
  if (present.length === 0) continue
  writeFileSync(join(dir, name), chart(present, title))
  console.error(`wrote ${join(dir, name)}`)
}

function chart(panels, title) {
  const cols = Math.min(4, panels.length)
  const rows = Math.ceil(panels.length / cols)
  const pw = 270
  const ph = 230
  const top = 58
  const width = cols * pw + 20
  const height = top + rows * ph + 10
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ]
  brokers.forEach((b, i) => {
    const x = 10 + i * 110
    out.push(`<rect x="${x}" y="32" width="12" height="12" fill="${color(b, i)}"/>`)
    out.push(`<text x="${x + 17}" y="42">${esc(b)}</text>`)
  })
  panels.forEach((p, i) =>
    out.push(panel(p, 10 + (i % cols) * pw, top + Math.floor(i / cols) * ph, pw - 20, ph - 20)),
  )
  out.push('</svg>')
  return out.join('\n') + '\n'
}

function panel([scen, metric, label, unit], x, y, w, h) {
  const stats = brokers.map((b) => data[b][scen]?.metrics?.[metric])
  // Headroom above the tallest whisker for its value label.
  const max = niceMax(1.12 * Math.max(...stats.map((s) => s?.max ?? 0)))
  const plotTop = y + 40
  const plotH = h - 68
  const scale = (v) => plotTop + plotH - (v / max) * plotH
  const out = [
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#dee2e6"/>`,
    `<text x="${x + w / 2}" y="${y + 16}" text-anchor="middle" font-weight="bold">${esc(label)}</text>`,
    `<text x="${x + w / 2}" y="${y + 29}" text-anchor="middle" fill="#495057">${esc(unit)}</text>`,
    `<line x1="${x + 40}" y1="${plotTop + plotH}" x2="${x + w - 8}" y2="${plotTop + plotH}" stroke="#868e96"/>`,
  ]
  for (const t of [0, 0.5, 1]) {
    const yy = scale(max * t)
    out.push(`<text x="${x + 36}" y="${yy + 4}" text-anchor="end" fill="#868e96">${fmtTick(max * t)}</text>`)
    if (t > 0) out.push(`<line x1="${x + 40}" y1="${yy}" x2="${x + w - 8}" y2="${yy}" stroke="#f1f3f5"/>`)
  }
  const slot = (w - 52) / brokers.length
  stats.forEach((s, i) => {
    const bx = x + 44 + i * slot
    const bw = slot * 0.7
    const cx = bx + bw / 2
    if (!s) {
      out.push(`<text x="${cx}" y="${plotTop + plotH - 4}" text-anchor="middle" fill="#adb5bd">n/a</text>`)
      return
    }
    const yTop = scale(s.median)
    out.push(
      `<rect x="${bx}" y="${yTop}" width="${bw}" height="${plotTop + plotH - yTop}" fill="${color(brokers[i], i)}"/>`,
    )
    if (s.values.length > 1) {
      out.push(`<line x1="${cx}" y1="${scale(s.min)}" x2="${cx}" y2="${scale(s.max)}" stroke="#212529"/>`)
      for (const v of [s.min, s.max])
        out.push(`<line x1="${cx - 4}" y1="${scale(v)}" x2="${cx + 4}" y2="${scale(v)}" stroke="#212529"/>`)
    }
    out.push(
      `<text x="${cx}" y="${Math.min(scale(s.max), yTop) - 4}" text-anchor="middle">${fmt(s.median)}</text>`,
    )
    out.push(
      `<text x="${cx}" y="${plotTop + plotH + 14}" text-anchor="middle" fill="#495057">${esc(brokers[i])}</text>`,
    )
  })
  return out.join('\n')
}

function color(b, i) {
  return COLORS[b] ?? PALETTE[i % PALETTE.length]
}

/** The next "round" number (1, 2, 2.5, 5 x 10^n) at or above v. */
function niceMax(v) {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function fmt(v) {
  const a = Math.abs(v)
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`
  if (a >= 1e4) return `${Math.round(v / 1e3)}k`
  if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`
  if (a >= 10) return `${Math.round(v)}`
  return `${+v.toFixed(2)}`
}

/** Axis ticks are round numbers: keep their digits (12.5k, not 13k). */
function fmtTick(v) {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`
  return `${+v.toPrecision(3)}`
}

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function parseArgs(argv) {
  const out = {}
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1]
  return out
}

function fail(msg) {
  console.error(`report: ${msg}`)
  process.exit(2)
}
