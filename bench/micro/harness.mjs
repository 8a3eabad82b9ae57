// A tiny micro-benchmark harness: each case runs in timed rounds after a warm-up, and the report is the
// median rate over the rounds with the spread, so one GC pause or noisy neighbour does not decide it.
// Results also go to stdout as one JSON line per case when --json is given.

import { performance } from 'node:perf_hooks'

const ROUNDS = Number(process.env.MICRO_ROUNDS ?? 7)
const ROUND_MS = Number(process.env.MICRO_ROUND_MS ?? 300)
const json = process.argv.includes('--json')

/**
 * Runs `fn` (which does `batch` operations per call) and prints operations per second.
 * `unit` names an operation; `bytesPerOp` adds a MB/s column.
 */
export async function bench(name, fn, { batch = 1, unit = 'op', bytesPerOp = 0 } = {}) {
  const warmUntil = performance.now() + ROUND_MS
  while (performance.now() < warmUntil) await fn()
  const rates = []
  for (let r = 0; r < ROUNDS; r++) {
    let ops = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < ROUND_MS) {
      await fn()
      ops += batch
      t = performance.now()
    }
    rates.push((ops / (t - t0)) * 1000)
  }
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)]
  const res = {
    name,
    unit,
    ops_per_s: Math.round(median),
    min: Math.round(rates[0]),
    max: Math.round(rates[rates.length - 1]),
    ns_per_op: Math.round(1e9 / median),
  }
  if (bytesPerOp) res.mb_per_s = Math.round((median * bytesPerOp) / 1e5) / 10
  if (json) console.log(JSON.stringify(res))
  else {
    const mb = res.mb_per_s !== undefined ? `  ${res.mb_per_s} MB/s` : ''
    console.log(
      `${name.padEnd(58)} ${fmt(median).padStart(8)} ${unit}/s  (${fmt(rates[0])}–${fmt(rates[rates.length - 1])})  ${res.ns_per_op} ns/${unit}${mb}`,
    )
  }
  return res
}

export function section(title) {
  if (!json) console.log(`\n## ${title}`)
}

function fmt(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`
  return v.toFixed(0)
}
