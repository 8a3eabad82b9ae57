// Human-readable progress lines and summaries of perf runs (the --json form is the result object itself).
import type { ChurnProgress, ChurnResult } from './churn.js'
import type { ConnectionsResult } from './connections.js'
import type { LatencySummary } from './histogram.js'
import type { ProgressSample, ThroughputResult } from './throughput.js'

/** 1234567 -> "1.23M", 152345 -> "152.3k", 950 -> "950". */
export function fmtRate(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`
  if (a >= 999.5) return `${(v / 1e3).toFixed(2)}k`
  return `${Math.round(v)}`
}

export function fmtMs(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)
}

export function progressLine(p: ProgressSample): string {
  const parts = [
    `[${p.elapsed_s.toFixed(1).padStart(6)}s]`,
    `published ${fmtRate(p.published_per_s).padStart(7)}/s`,
    `confirmed ${fmtRate(p.confirmed_per_s).padStart(7)}/s`,
    `consumed ${fmtRate(p.consumed_per_s).padStart(7)}/s`,
    `latency p50 ${fmtMs(p.latency_p50_ms)} ms p99 ${fmtMs(p.latency_p99_ms)} ms`,
  ]
  if (p.broker_cpu_pct !== undefined) parts.push(`broker CPU ${Math.round(p.broker_cpu_pct)}%`)
  if (p.blocked) parts.push('BLOCKED')
  return parts.join('  ')
}

export function churnLine(p: ChurnProgress): string {
  return `[${p.elapsed_s.toFixed(1).padStart(6)}s]  connections ${fmtRate(p.connections_per_s)}/s  failures ${p.failures}`
}

function latencyLine(l: LatencySummary | null): string {
  if (!l) return 'no samples (bodies under 8 bytes carry no timestamp)'
  const f = fmtMs
  return `min ${f(l.min_ms)}  p50 ${f(l.p50_ms)}  p75 ${f(l.p75_ms)}  p95 ${f(l.p95_ms)}  p99 ${f(l.p99_ms)}  p99.9 ${f(l.p999_ms)}  max ${f(l.max_ms)}  (${l.samples} samples)`
}

export function throughputSummary(r: ThroughputResult): string {
  const n = (v: number): string => v.toLocaleString('en-US').padStart(12)
  const lines = [
    `warren perf ${r.mode}: ${r.uri}, ${r.elapsed_s} s`,
    `  published ${n(r.published)}  ${fmtRate(r.rates.published)} msg/s`,
    `  confirmed ${n(r.confirmed)}  ${fmtRate(r.rates.confirmed)} msg/s${r.nacked ? `  (${r.nacked} nacked)` : ''}`,
    `  consumed  ${n(r.consumed)}  ${fmtRate(r.rates.consumed)} msg/s`,
    `  latency ms  ${latencyLine(r.latency)}`,
    `  client CPU ${Math.round(r.client_cpu_pct)}% of one core` +
      (r.broker_cpu_pct !== undefined ? `, broker CPU ${Math.round(r.broker_cpu_pct)}%` : ''),
  ]
  if (r.returned) lines.push(`  returned ${r.returned}`)
  if (r.blocked_count) lines.push(`  connection.blocked received ${r.blocked_count} times`)
  for (const e of r.errors) lines.push(`  error: ${e}`)
  return lines.join('\n')
}

export function churnSummary(r: ChurnResult): string {
  const lines = [
    `warren perf churn: ${r.uri}, ${r.elapsed_s} s, ${r.options['concurrency']} workers`,
    `  opened and closed ${r.connections} connections: ${fmtRate(r.rates.connections)}/s, ${r.failures} failures`,
    `  open ms  ${latencyLine(r.open_latency)}`,
    `  client CPU ${Math.round(r.client_cpu_pct)}% of one core`,
  ]
  for (const e of r.errors) lines.push(`  error: ${e}`)
  return lines.join('\n')
}

export function connectionsSummary(r: ConnectionsResult): string {
  const what = r.memory_source === 'rss' ? 'RSS' : 'mem_used'
  const mem =
    r.memory_source === null
      ? '  broker memory not measured (give --broker-pid or --mgmt-url)'
      : r.kb_per_connection === null
        ? `  broker ${what} could not be read (before: ${r.memory_before_mb ?? 'n/a'} MB, after: ${r.memory_after_mb ?? 'n/a'} MB)`
        : `  broker ${what} ${r.memory_before_mb} MB before, ${r.memory_after_mb} MB with the connections: ` +
          `${r.kb_per_connection} KB per connection+channel`
  const lines = [
    `warren perf connections: ${r.uri}`,
    `  opened ${r.opened} connections (one channel each) in ${r.open_s} s, ${r.failed} failed`,
    mem,
  ]
  for (const e of r.errors) lines.push(`  error: ${e}`)
  return lines.join('\n')
}
