// `warren perf stream`: the Stream-protocol load client's command line. Progress lines go to stderr once a
// second; the summary (or, with --json, one JSON object) goes to stdout. Exits 1 when the run hit an error.
import { int, seconds } from '../flags.js'
import { Command, InvalidArgumentError, Option } from 'commander'
import { fmtMs, fmtRate } from '../report.js'
import { runStream, type StreamProgress, type StreamRunResult } from './run.js'

const DEFAULT_URI = 'rabbitmq-stream://guest:guest@127.0.0.1:5552/'

interface StreamFlags {
  uri: string
  json?: boolean
  quiet?: boolean
  publishers: number
  consumers: number
  size: number
  batch: number
  confirmWindow: number
  credit: number
  offset: 'first' | 'next' | 'last'
  count: number
  duration?: number
  stream?: string
  keep?: boolean
  brokerPid?: number
  rssEvery: number
}

export function streamCommand(): Command {
  return new Command('stream')
    .description('load-test a RabbitMQ Stream protocol broker: publish with confirms and consume one stream')
    .option('--uri <uri>', 'broker to test', DEFAULT_URI)
    .option('--json', 'print the result as one JSON object')
    .option('-q, --quiet', 'no progress lines')
    .option('--publishers <n>', 'publishing connections', int(0), 1)
    .option('--consumers <n>', 'consuming connections', int(0), 1)
    .option('--size <bytes>', 'message body size', int(0), 16)
    .option('--batch <n>', 'messages per publish frame', int(1), 100)
    .option('--confirm-window <n>', 'most unconfirmed messages per publisher (0: no limit)', int(0), 10_000)
    .option('--credit <n>', 'chunks a consumer lets the broker send ahead', int(1), 10)
    .addOption(
      new Option('--offset <spec>', 'where consumers attach')
        .choices(['first', 'next', 'last'])
        .default('first'),
    )
    .option('--count <n>', 'messages per publisher (or to read, with no publishers), then stop', int(0), 0)
    .option('--duration <s>', 'seconds to run (with --count: the longest the run may take)', seconds)
    .option('--stream <name>', 'use this stream (created when absent) instead of a new one')
    .option('--keep', 'with --stream: do not delete the stream after the run')
    .addOption(new Option('--broker-pid <pid>', 'broker process, for its CPU and RSS').argParser(int(1)))
    .option('--rss-every <s>', 'seconds between broker RSS samples in the result', int(1), 2)
    .action(async (f: StreamFlags) => {
      if (f.keep && f.stream === undefined) throw new InvalidArgumentError('--keep needs --stream')
      const r = await runStream({
        ...f,
        duration: f.duration ?? (f.count > 0 ? 600 : 10),
        onProgress: f.quiet ? undefined : (p) => process.stderr.write(`${streamProgressLine(p)}\n`),
      })
      process.stdout.write(f.json ? `${JSON.stringify(r)}\n` : `${streamSummary(r)}\n`)
      if (r.errors.some((e) => !e.startsWith('cleanup:'))) process.exitCode = 1
    })
}

export function streamProgressLine(p: StreamProgress): string {
  const parts = [
    `[${p.elapsed_s.toFixed(1).padStart(6)}s]`,
    `published ${fmtRate(p.published_per_s).padStart(7)}/s`,
    `confirmed ${fmtRate(p.confirmed_per_s).padStart(7)}/s`,
    `consumed ${fmtRate(p.consumed_per_s).padStart(7)}/s`,
    `confirm p50 ${fmtMs(p.confirm_p50_ms)} ms p99 ${fmtMs(p.confirm_p99_ms)} ms (so far)`,
  ]
  if (p.broker_cpu_pct !== undefined) parts.push(`broker CPU ${Math.round(p.broker_cpu_pct)}%`)
  if (p.broker_rss_mb !== undefined) parts.push(`RSS ${p.broker_rss_mb} MB`)
  return parts.join('  ')
}

export function streamSummary(r: StreamRunResult): string {
  const n = (v: number): string => v.toLocaleString('en-US').padStart(12)
  const l = r.confirm_latency
  const lines = [
    `warren perf stream: ${r.uri}, stream ${r.stream}, ${r.elapsed_s} s`,
    `  published ${n(r.published)}  ${fmtRate(r.rates.published)} msg/s`,
    `  confirmed ${n(r.confirmed)}  ${fmtRate(r.rates.confirmed)} msg/s` +
      (r.publish_errors ? `  (${r.publish_errors} publish errors)` : ''),
    `  consumed  ${n(r.consumed)}  ${fmtRate(r.rates.consumed)} msg/s`,
    l
      ? `  confirm ms  p50 ${fmtMs(l.p50_ms)}  p95 ${fmtMs(l.p95_ms)}  p99 ${fmtMs(l.p99_ms)}  max ${fmtMs(l.max_ms)}`
      : '  confirm ms  no confirms',
    `  first delivery ms  ${r.first_delivery_ms.map((v) => (v === null ? 'none' : fmtMs(v))).join(', ') || 'n/a'}`,
    `  client CPU ${Math.round(r.client_cpu_pct)}% of one core` +
      (r.broker_cpu_pct !== undefined ? `, broker CPU ${Math.round(r.broker_cpu_pct)}%` : ''),
  ]
  const m = r.broker_rss_mb
  if (m) lines.push(`  broker RSS MB  start ${m.start}  end ${m.end}  max ${m.max}`)
  for (const e of r.errors) lines.push(`  error: ${e}`)
  return lines.join('\n')
}
