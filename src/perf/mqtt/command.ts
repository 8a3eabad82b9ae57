// `warren perf mqtt`: the MQTT load client's command line. Progress lines go to stderr once a second; the
// summary (or, with --json, one JSON object) goes to stdout. Exits 1 when the run hit an error or, at
// QoS 1, lost a message.
import { int, seconds } from '../flags.js'
import { Command, Option } from 'commander'
import { fmtMs, fmtRate } from '../report.js'
import { runMqtt, type MqttProgress, type MqttRunResult } from './run.js'

const DEFAULT_URI = 'mqtt://guest:guest@127.0.0.1:1883'

interface MqttFlags {
  uri: string
  json?: boolean
  quiet?: boolean
  qos: '0' | '1'
  publishers: number
  subscribers: number
  size: number
  batch: number
  window: number
  count: number
  duration?: number
  drain: number
  topic?: string
  brokerPid?: number
}

export function mqttCommand(): Command {
  return new Command('mqtt')
    .description('load-test an MQTT 3.1.1 broker: publishers and subscribers on one topic, QoS 0 or 1')
    .option('--uri <uri>', 'broker to test (mqtt://user:pass@host:port)', DEFAULT_URI)
    .option('--json', 'print the result as one JSON object')
    .option('-q, --quiet', 'no progress lines')
    .addOption(new Option('--qos <n>', 'QoS of publishes and subscriptions').choices(['0', '1']).default('0'))
    .option('--publishers <n>', 'publishing connections', int(0), 1)
    .option('--subscribers <n>', 'subscribing connections (each gets every message)', int(0), 1)
    .option('--size <bytes>', 'payload size (from 8 on it carries a sequence number)', int(0), 16)
    .option('--batch <n>', 'PUBLISH packets per socket write', int(1), 500)
    .option('--window <n>', 'QoS 1: most unacknowledged messages per publisher (<= 65535)', int(1), 1000)
    .option('--count <n>', 'messages per publisher, then stop once all are received', int(0), 0)
    .option('--duration <s>', 'seconds to run (with --count: the longest the run may take)', seconds)
    .option('--drain <s>', 'seconds to wait after the run for messages still on their way', seconds, 10)
    .option('--topic <name>', 'topic to publish and subscribe to (default: a new one per run)')
    .addOption(new Option('--broker-pid <pid>', 'broker process, for its CPU and RSS').argParser(int(1)))
    .action(async (f: MqttFlags) => {
      const r = await runMqtt({
        ...f,
        qos: f.qos === '1' ? 1 : 0,
        duration: f.duration ?? (f.count > 0 ? 600 : 10),
        onProgress: f.quiet ? undefined : (p) => process.stderr.write(`${mqttProgressLine(p)}\n`),
      })
      process.stdout.write(f.json ? `${JSON.stringify(r)}\n` : `${mqttSummary(r)}\n`)
      if (r.errors.length > 0 || (r.options.qos === 1 && r.lost > 0)) process.exitCode = 1
    })
}

export function mqttProgressLine(p: MqttProgress): string {
  const parts = [
    `[${p.elapsed_s.toFixed(1).padStart(6)}s]`,
    `sent ${fmtRate(p.sent_per_s).padStart(7)}/s`,
    `received ${fmtRate(p.received_per_s).padStart(7)}/s`,
    `in flight ${p.in_flight}`,
  ]
  if (p.broker_cpu_pct !== undefined) parts.push(`broker CPU ${Math.round(p.broker_cpu_pct)}%`)
  return parts.join('  ')
}

export function mqttSummary(r: MqttRunResult): string {
  const n = (v: number): string => v.toLocaleString('en-US').padStart(12)
  const l = r.ack_latency
  const lines = [
    `warren perf mqtt: ${r.uri}, topic ${r.topic}, QoS ${r.options.qos}, ${r.elapsed_s} s`,
    `  sent     ${n(r.sent)}  ${fmtRate(r.rates.sent)} msg/s`,
    `  acked    ${n(r.acked)}  ${fmtRate(r.rates.acked)} msg/s`,
    `  received ${n(r.received)}  ${fmtRate(r.rates.received)} msg/s`,
    `  lost ${r.lost}, duplicates ${r.duplicates}`,
    l
      ? `  ack ms  p50 ${fmtMs(l.p50_ms)}  p95 ${fmtMs(l.p95_ms)}  p99 ${fmtMs(l.p99_ms)}  max ${fmtMs(l.max_ms)}`
      : '  ack ms  no acks',
    `  client CPU ${Math.round(r.client_cpu_pct)}% of one core` +
      (r.broker_cpu_pct !== undefined ? `, broker CPU ${Math.round(r.broker_cpu_pct)}%` : ''),
  ]
  for (const e of r.errors) lines.push(`  error: ${e}`)
  return lines.join('\n')
}
