// Throughput and fixed-rate latency runs (PerfTest's default mode): publishers and consumers on separate
// connections, unique queues declared before and deleted after, counters sampled every second. A run
// ends after `duration` seconds, or, when `count` is set, once every message is published (and confirmed)
// and every expected delivery has arrived. The figures reported are those of that window.
import type { FieldTable } from '../shared/index.js'
import { PerfConnection } from './connection.js'
import { Consumer } from './consumer.js'
import { LatencyHistogram, type LatencySummary } from './histogram.js'
import { CpuMeter } from './broker-stats.js'
import { Publisher } from './publisher.js'
import { deleteTopology, declareTopology, type Plan, planTopology } from './topology.js'
import { parseAmqpUri, redactUri } from './uri.js'
import { clientCpuPct, mapLimit, r1, sleep, withTimeout } from './util.js'

export interface ThroughputOptions {
  readonly uri: string
  readonly publishers: number
  readonly consumers: number
  readonly queues: number
  readonly size: number
  /** Publisher-confirm window per publisher; 0: no confirms. */
  readonly confirm: number
  readonly persistent: boolean
  readonly durable: boolean
  readonly prefetch: number
  /** Manual acks; false consumes with no-ack. */
  readonly ack: boolean
  readonly multiAck: number
  readonly fanout: number
  /** Publish through an exchange of this type (not with fanout), with these arguments. */
  readonly exchangeType?: string | undefined
  readonly exchangeArgs?: FieldTable | undefined
  /** Arguments of every queue (x-queue-type: quorum, say). */
  readonly queueArgs?: FieldTable | undefined
  /** A header each message carries with a value of its own (a deduplication key, say). */
  readonly uniqueHeader?: string | undefined
  /** Seconds: the window, or with `count` the longest the run may take. */
  readonly duration: number
  /** Messages per publisher; 0 runs for `duration`. */
  readonly count: number
  /** Messages per second per publisher; 0: unlimited. */
  readonly rate: number
  readonly brokerPid?: number | undefined
  readonly mode?: 'throughput' | 'latency'
  /** Called once a second while the run is on. */
  readonly onProgress?: ((p: ProgressSample) => void) | undefined
}

export interface ProgressSample {
  elapsed_s: number
  published_per_s: number
  confirmed_per_s: number
  consumed_per_s: number
  /** Of the deliveries in this second. */
  latency_p50_ms: number
  latency_p99_ms: number
  blocked: boolean
  broker_cpu_pct?: number
}

export interface ThroughputResult {
  mode: 'throughput' | 'latency'
  uri: string
  options: Record<string, number | boolean | string>
  elapsed_s: number
  published: number
  confirmed: number
  nacked: number
  consumed: number
  returned: number
  rates: { published: number; confirmed: number; consumed: number }
  latency: LatencySummary | null
  blocked_count: number
  client_cpu_pct: number
  broker_cpu_pct?: number
  errors: string[]
}

interface Run {
  readonly control: PerfConnection
  readonly plan: Plan
  readonly publishers: Publisher[]
  readonly consumers: Consumer[]
  readonly errors: string[]
}

export async function runThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const run = await setUp(o)
  try {
    return await measure(o, run)
  } finally {
    await tearDown(run)
  }
}

async function setUp(o: ThroughputOptions): Promise<Run> {
  const uri = parseAmqpUri(o.uri)
  const runId = `perf-${process.pid}-${Date.now().toString(36)}`
  const plan = planTopology(runId, o)
  const control = await PerfConnection.open(uri, { name: `${runId} control` })
  const run: Run = { control, plan, publishers: [], consumers: [], errors: [] }
  const onError = (what: string) => (err: Error) => run.errors.push(`${what}: ${err.message}`)
  try {
    await declareTopology(control, plan, o.durable)
    await mapLimit(plan.consumerQueues.length, 50, async (i) => {
      const conn = await PerfConnection.open(uri, { name: `${runId} consumer ${i}` })
      const c = new Consumer(conn, {
        queue: plan.consumerQueues[i] as string,
        ack: o.ack,
        multiAck: o.multiAck,
        prefetch: o.prefetch,
      })
      run.consumers.push(c)
      conn.onError = onError(`consumer ${i}`)
      await c.setup()
    })
    await mapLimit(plan.publisherKeys.length, 50, async (i) => {
      const conn = await PerfConnection.open(uri, { name: `${runId} publisher ${i}` })
      const p = new Publisher(conn, {
        ...o,
        exchange: plan.exchange,
        routingKey: plan.publisherKeys[i] as string,
      })
      run.publishers.push(p)
      conn.onError = onError(`publisher ${i}`)
      await p.setup()
    })
  } catch (err) {
    await tearDown(run)
    throw err
  }
  return run
}

async function measure(o: ThroughputOptions, run: Run): Promise<ThroughputResult> {
  const { publishers, consumers } = run
  const cpu0 = process.cpuUsage()
  const brokerCpu = o.brokerPid !== undefined ? new CpuMeter(o.brokerPid) : undefined
  const t0 = performance.now()
  for (const p of publishers) p.start()
  const progress = startProgress(o, run, t0)
  const ended = await waitForEnd(o, run)
  const elapsed = ((ended ?? performance.now()) - t0) / 1000
  // The window's figures, before the stop lets anything else in.
  const published = sum(publishers, (p) => p.published)
  const confirmed = sum(publishers, (p) => p.confirmed)
  const consumed = sum(consumers, (c) => c.consumed)
  const clientCpu = clientCpuPct(cpu0, elapsed * 1000)
  const brokerCpuPct = brokerCpu?.sample()
  clearInterval(progress)
  for (const p of publishers) p.stop()
  const latency = new LatencyHistogram()
  for (const c of consumers) latency.add(c.latency)
  const result: ThroughputResult = {
    mode: o.mode ?? 'throughput',
    uri: redactUri(o.uri),
    options: optionsOf(o),
    elapsed_s: Math.round(elapsed * 1000) / 1000,
    published,
    confirmed,
    nacked: sum(publishers, (p) => p.nacked),
    consumed,
    returned: sum(publishers, (p) => p.conn.returned),
    rates: {
      published: r1(published / elapsed),
      confirmed: r1(confirmed / elapsed),
      consumed: r1(consumed / elapsed),
    },
    latency: latency.count > 0 ? latency.summary() : null,
    blocked_count: sum(publishers, (p) => p.conn.blockedCount),
    client_cpu_pct: clientCpu,
    errors: run.errors,
  }
  if (brokerCpuPct !== undefined) result.broker_cpu_pct = brokerCpuPct
  return result
}

/** Waits for the end of the window; returns when it ended (performance.now()) for counted runs. */
async function waitForEnd(o: ThroughputOptions, run: Run): Promise<number | undefined> {
  const deadline = performance.now() + o.duration * 1000
  if (o.count === 0) {
    while (performance.now() < deadline && run.errors.length === 0)
      await sleep(Math.min(50, deadline - performance.now()))
    return undefined
  }
  const published = Promise.all(run.publishers.map((p) => p.finished))
  let publishedAll = false
  void published.then(() => (publishedAll = true))
  while (performance.now() < deadline && run.errors.length === 0) {
    if (publishedAll && sum(run.consumers, (c) => c.consumed) >= run.plan.expectedDeliveries)
      return performance.now()
    await sleep(5)
  }
  if (run.errors.length === 0) run.errors.push(`counted run did not finish within ${o.duration} s`)
  return undefined
}

function startProgress(o: ThroughputOptions, run: Run, t0: number): NodeJS.Timeout | undefined {
  const onProgress = o.onProgress
  if (!onProgress) return undefined
  const meter = o.brokerPid !== undefined ? new CpuMeter(o.brokerPid) : undefined
  let last = { t: t0, pub: 0, conf: 0, cons: 0 }
  const recent = new LatencyHistogram()
  return setInterval(() => {
    const t = performance.now()
    const cur = {
      t,
      pub: sum(run.publishers, (p) => p.published),
      conf: sum(run.publishers, (p) => p.confirmed),
      cons: sum(run.consumers, (c) => c.consumed),
    }
    const dt = (t - last.t) / 1000
    recent.reset()
    for (const c of run.consumers) {
      recent.add(c.recent)
      c.recent.reset()
    }
    const sample: ProgressSample = {
      elapsed_s: Math.round((t - t0) / 100) / 10,
      published_per_s: r1((cur.pub - last.pub) / dt),
      confirmed_per_s: r1((cur.conf - last.conf) / dt),
      consumed_per_s: r1((cur.cons - last.cons) / dt),
      latency_p50_ms: recent.percentile(50),
      latency_p99_ms: recent.percentile(99),
      blocked: run.publishers.some((p) => p.conn.blocked),
    }
    const cpu = meter?.sample()
    if (cpu !== undefined) sample.broker_cpu_pct = cpu
    last = cur
    onProgress(sample)
  }, 1000)
}

async function tearDown(run: Run): Promise<void> {
  for (const p of run.publishers) p.stop()
  await Promise.allSettled(run.publishers.map((p) => p.conn.close()))
  for (const c of run.consumers) c.flushAcks()
  // Cancel before deleting: garagemq deadlocks deleting a queue that still has consumers.
  await Promise.allSettled(run.consumers.map((c) => withTimeout(c.cancel(), 5000, 'basic.cancel')))
  if (!run.control.error) {
    const problems = await deleteTopology(run.control, run.plan)
    run.errors.push(...problems.map((p) => `cleanup: ${p}`))
  }
  await Promise.allSettled([...run.consumers.map((c) => c.conn.close()), run.control.close()])
}

function optionsOf(o: ThroughputOptions): Record<string, number | boolean | string> {
  const {
    publishers,
    consumers,
    queues,
    size,
    confirm,
    persistent,
    durable,
    prefetch,
    ack,
    multiAck,
    fanout,
  } = o
  const opts = { publishers, consumers, queues, size, confirm, persistent, durable, prefetch, ack, fanout }
  const extra = {
    ...(o.exchangeType ? { exchange_type: o.exchangeType } : {}),
    ...(o.uniqueHeader ? { unique_header: o.uniqueHeader } : {}),
    ...(o.queueArgs && Object.keys(o.queueArgs).length > 0
      ? { queue_args: JSON.stringify(o.queueArgs) }
      : {}),
  }
  return { ...opts, multi_ack: multiAck, duration_s: o.duration, count: o.count, rate: o.rate, ...extra }
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let n = 0
  for (const x of xs) n += f(x)
  return n
}
