// `warren perf stomp`: the STOMP load client's command line. Progress lines go to stderr once a second;
// the summary (or, with --json, one JSON object) goes to stdout. Exits 1 when the run hit an error or, with
// acknowledgements, lost a message.
import { int, seconds } from '../flags.js'
import { Command, Option } from 'commander'
import { fmtRate } from '../report.js'
import { runStomp, type StompProgress, type StompRunResult } from './run.js'
import type { StompAckMode } from './consumer.js'

const DEFAULT_URI = 'stomp://guest:guest@127.0.0.1:61613/'

interface StompFlags {
  uri: string
  json?: boolean
  quiet?: boolean
  producers: number
  consumers: number
  size: number
  batch: number
  window: number
  ack: StompAckMode
  prefetch: number
  count: number
  duration?: number
  drain: number
  destination?: string
  brokerPid?: number
}

export function stompCommand(): Command {
  return new Command('stomp')
    .description('load-test a STOMP broker: producers and consumers on one queue')
    .option('--uri <uri>', 'broker to test (stomp://user:pass@host:port/vhost)', DEFAULT_URI)
    .option('--json', 'print the result as one JSON object')
    .option('-q, --quiet', 'no progress lines')
    .option('--producers <n>', 'producing connections', int(0), 1)
    .option('--consumers <n>', 'consuming connections', int(0), 1)
    .option('--size <bytes>', 'body size (from 8 on it carries a sequence number)', int(0), 16)
    .option('--batch <n>', 'SEND frames per socket write', int(1), 200)
    .option('--window <n>', 'most unreceipted messages per producer (0: no receipts)', int(0), 2000)
    .addOption(
      new Option('--ack <mode>', 'subscription ack mode')
        .choices(['auto', 'client', 'client-individual'])
        .default('client-individual'),
    )
    .option('--prefetch <n>', 'prefetch-count of each subscription (0: none)', int(0), 1000)
    .option('--count <n>', 'messages per producer, then stop once all are received', int(0), 0)
    .option('--duration <s>', 'seconds to run (with --count: the longest the run may take)', seconds)
    .option('--drain <s>', 'seconds to wait after the run for messages still on their way', seconds, 10)
    .option('--destination <dest>', 'destination to use (default: a new /queue/ per run)')
    .addOption(new Option('--broker-pid <pid>', 'broker process, for its CPU and RSS').argParser(int(1)))
    .action(async (f: StompFlags) => {
      const r = await runStomp({
        ...f,
        duration: f.duration ?? (f.count > 0 ? 600 : 10),
        onProgress: f.quiet ? undefined : (p) => process.stderr.write(`${stompProgressLine(p)}\n`),
      })
      process.stdout.write(f.json ? `${JSON.stringify(r)}\n` : `${stompSummary(r)}\n`)
      if (r.errors.length > 0 || (f.ack !== 'auto' && r.lost > 0)) process.exitCode = 1
    })
}

export function stompProgressLine(p: StompProgress): string {
  const parts = [
    `[${p.elapsed_s.toFixed(1).padStart(6)}s]`,
    `sent ${fmtRate(p.sent_per_s).padStart(7)}/s`,
    `received ${fmtRate(p.received_per_s).padStart(7)}/s`,
  ]
  if (p.broker_cpu_pct !== undefined) parts.push(`broker CPU ${Math.round(p.broker_cpu_pct)}%`)
  return parts.join('  ')
}

export function stompSummary(r: StompRunResult): string {
  const n = (v: number): string => v.toLocaleString('en-US').padStart(12)
  const lines = [
    `warren perf stomp: ${r.uri}, ${r.destination}, ack ${r.options.ack}, ${r.elapsed_s} s`,
    `  sent      ${n(r.sent)}  ${fmtRate(r.rates.sent)} msg/s`,
    `  receipted ${n(r.receipted)}`,
    `  received  ${n(r.received)}  ${fmtRate(r.rates.received)} msg/s`,
    `  lost ${r.lost}, duplicates ${r.duplicates}`,
    `  client CPU ${Math.round(r.client_cpu_pct)}% of one core` +
      (r.broker_cpu_pct !== undefined ? `, broker CPU ${Math.round(r.broker_cpu_pct)}%` : ''),
  ]
  for (const e of r.errors) lines.push(`  error: ${e}`)
  return lines.join('\n')
}
