// `warren perf`: an AMQP load client in the manner of RabbitMQ's PerfTest and lavinmqperf. Works against
// any AMQP 0-9-1 broker. Progress lines go to stderr once a second; the summary (or, with --json, one JSON
// object) goes to stdout. Exits 1 when the run hit an error.
import { int, seconds } from './flags.js'
import { Command, InvalidArgumentError, Option } from 'commander'
import { runChurn } from './churn.js'
import { runConnections } from './connections.js'
import { churnLine, churnSummary, connectionsSummary, progressLine, throughputSummary } from './report.js'
import type { FieldTable } from '../shared/index.js'
import { streamCommand } from './stream/command.js'
import { mqttCommand } from './mqtt/command.js'
import { stompCommand } from './stomp/command.js'
import { runThroughput, type ThroughputOptions } from './throughput.js'

const DEFAULT_URI = 'amqp://guest:guest@127.0.0.1:5672/'

interface CommonFlags {
  uri: string
  json?: boolean
  quiet?: boolean
}

function common(cmd: Command): Command {
  return cmd
    .option('--uri <uri>', 'broker to test', DEFAULT_URI)
    .option('--json', 'print the result as one JSON object')
    .option('-q, --quiet', 'no progress lines')
}

export function perfCommand(): Command {
  return new Command('perf')
    .description(
      'load-test an AMQP 0-9-1 broker (Warren, RabbitMQ, any): throughput, latency, churn, connections; stream, mqtt, stomp: those protocols',
    )
    .addCommand(loadCommand('throughput'), { isDefault: true })
    .addCommand(loadCommand('latency'))
    .addCommand(churnCommand())
    .addCommand(connectionsCommand())
    .addCommand(streamCommand())
    .addCommand(mqttCommand())
    .addCommand(stompCommand())
}

interface LoadFlags extends CommonFlags {
  publishers: number
  consumers: number
  queues: number
  size: number
  confirm: number
  persistent?: boolean
  durable?: boolean
  prefetch: number
  ack?: boolean
  multiAck: number
  fanout: number
  exchangeType?: string
  exchangeArg: string[]
  queueArg: string[]
  uniqueHeader?: string
  duration?: number
  count: number
  rate: number
  brokerPid?: number
}

function loadCommand(mode: 'throughput' | 'latency'): Command {
  const latency = mode === 'latency'
  const cmd = new Command(mode).description(
    latency
      ? 'latency at a fixed publish rate: p50/p99/p99.9/max from the send time carried in each body'
      : 'publish and consume as fast as possible (or at --rate) and report rates and latency',
  )
  return common(cmd)
    .option('--publishers <n>', 'publishing connections', int(0), 1)
    .option('--consumers <n>', 'consuming connections', int(0), 1)
    .option('--queues <n>', 'queues; publishers and consumers are spread over them round-robin', int(1), 1)
    .option(
      '--size <bytes>',
      'message body size (from 8 on it carries the send time)',
      int(latency ? 8 : 0),
      16,
    )
    .option(
      '--confirm <window>',
      'publisher confirms with at most this many unconfirmed per publisher',
      int(0),
      0,
    )
    .option('--persistent', 'persistent messages (delivery-mode 2); implies --durable')
    .option('--durable', 'durable queues (and exchange)')
    .option('--prefetch <n>', 'basic.qos prefetch count (0: none)', int(0), 0)
    .option('--ack', 'manual acks')
    .option('--no-ack', 'auto-ack, i.e. consume with no-ack (the default)')
    .option('--multi-ack <n>', 'with --ack: ack every n-th delivery with multiple=true', int(1), 1)
    .option('--fanout <n>', 'publish to a fanout exchange bound to n queues, one consumer each', int(0), 0)
    .option(
      '--exchange-type <type>',
      'publish through an exchange of this type, each queue bound by its name',
    )
    .option('--exchange-arg <name=value>', 'an argument of that exchange (repeatable)', collect, [])
    .option('--unique-header <name>', 'every message carries this header with a value of its own')
    .option(
      '--queue-arg <name=value>',
      'an argument of every queue, e.g. x-queue-type=quorum (repeatable)',
      collect,
      [],
    )
    .option('--duration <s>', 'seconds to run (with --count: the longest the run may take)', seconds)
    .option('--count <n>', 'messages per publisher, then stop once all are consumed', int(0), 0)
    .option('--rate <msg/s>', 'publish rate per publisher (0: unlimited)', int(0), latency ? 1000 : 0)
    .addOption(new Option('--broker-pid <pid>', 'broker process, for its CPU use').argParser(int(1)))
    .action(async (f: LoadFlags) => {
      const opts: ThroughputOptions = {
        ...f,
        mode,
        durable: f.durable === true || f.persistent === true,
        persistent: f.persistent === true,
        ack: f.ack === true,
        exchangeArgs: fieldArgs('--exchange-arg', f.exchangeArg),
        queueArgs: fieldArgs('--queue-arg', f.queueArg),
        // With --fanout every queue gets a consumer unless --consumers says otherwise.
        consumers: f.fanout > 0 && cmd.getOptionValueSource('consumers') !== 'cli' ? f.fanout : f.consumers,
        duration: f.duration ?? (f.count > 0 ? 600 : 10),
        onProgress: f.quiet ? undefined : (p) => process.stderr.write(`${progressLine(p)}\n`),
      }
      const r = await runThroughput(opts)
      finish(
        f,
        r,
        throughputSummary(r),
        r.errors.some((e) => !e.startsWith('cleanup:')),
      )
    })
}

function churnCommand(): Command {
  return common(
    new Command('churn').description('open and close connections (with a channel) as fast as possible'),
  )
    .option('--duration <s>', 'seconds to run', seconds, 10)
    .option('--concurrency <n>', 'connections opened in parallel', int(1), 10)
    .action(async (f: CommonFlags & { duration: number; concurrency: number }) => {
      const r = await runChurn({
        ...f,
        onProgress: f.quiet ? undefined : (p) => process.stderr.write(`${churnLine(p)}\n`),
      })
      finish(f, r, churnSummary(r), r.connections === 0)
    })
}

function connectionsCommand(): Command {
  return common(
    new Command('connections').description('hold N idle connections and report broker memory per connection'),
  )
    .option('--count <n>', 'connections to open, one channel each', int(1), 1000)
    .option('--concurrency <n>', 'opens in flight at once', int(1), 50)
    .option('--hold <s>', 'seconds to hold them before reading memory', seconds, 6)
    .addOption(new Option('--broker-pid <pid>', 'broker process: memory is its RSS').argParser(int(1)))
    .option(
      '--mgmt-url <url>',
      'management API base (http://user:pass@host:15672/): memory is /api/nodes mem_used, which RabbitMQ refreshes every 5 s (keep --hold above that)',
    )
    .action(
      async (
        f: CommonFlags & {
          count: number
          concurrency: number
          hold: number
          brokerPid?: number
          mgmtUrl?: string
        },
      ) => {
        const r = await runConnections({
          ...f,
          onProgress: f.quiet
            ? undefined
            : (p) => process.stderr.write(`opened ${p.opened}, failed ${p.failed}\n`),
        })
        finish(f, r, connectionsSummary(r), r.opened === 0)
      },
    )
}

function finish(f: CommonFlags, result: object, summary: string, failed: boolean): void {
  process.stdout.write(f.json ? `${JSON.stringify(result)}\n` : `${summary}\n`)
  if (failed) process.exitCode = 1
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** `name=value` pairs; a value of digits is an integer (x-cache-size, say), anything else a string. */
function fieldArgs(flag: string, pairs: readonly string[]): FieldTable {
  const args: FieldTable = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new InvalidArgumentError(`${flag} wants name=value, got "${pair}"`)
    const value = pair.slice(at + 1)
    args[pair.slice(0, at)] = /^-?\d+$/.test(value) ? Number(value) : value
  }
  return args
}
