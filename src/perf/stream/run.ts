// `warren perf stream`: publishers and consumers on separate Stream-protocol connections against one
// stream, created before and deleted after (unless --stream names one to --keep). A run ends after
// `duration` seconds or, with `count`, once every publisher's messages are settled and every consumer
// has received its share (`count` per publisher, or `count` alone when nobody publishes).
import { CODE, KEY } from '../../stream-protocol/index.js'
import { CpuMeter, processRss } from '../broker-stats.js'
import { LatencyHistogram, type LatencySummary } from '../histogram.js'
import { clientCpuPct, r1, r3, sleep } from '../util.js'
import { StreamPerfConnection } from './connection.js'
import { StreamConsumer, type StreamOffset } from './consumer.js'
import { StreamPublisher } from './publisher.js'
import { parseStreamUri, redactStreamUri } from './uri.js'

export interface StreamRunOptions {
  readonly uri: string
  readonly publishers: number
  readonly consumers: number
  readonly size: number
  readonly batch: number
  readonly confirmWindow: number
  readonly credit: number
  readonly offset: StreamOffset
  /** Messages per publisher; 0 runs for `duration`. */
  readonly count: number
  /** Seconds: the window, or with `count` the longest the run may take. */
  readonly duration: number
  /** A stream to use (created when absent); without it a unique one is created. */
  readonly stream?: string | undefined
  /** With `stream`: leave it in place after the run. */
  readonly keep?: boolean | undefined
  readonly brokerPid?: number | undefined
  /** Seconds between broker RSS samples kept in the result (with brokerPid). */
  readonly rssEvery?: number | undefined
  readonly onProgress?: ((p: StreamProgress) => void) | undefined
}

export interface StreamProgress {
  elapsed_s: number
  published_per_s: number
  confirmed_per_s: number
  consumed_per_s: number
  confirm_p50_ms: number
  confirm_p99_ms: number
  broker_cpu_pct?: number
  broker_rss_mb?: number
}

export interface StreamRunResult {
  mode: 'stream'
  uri: string
  stream: string
  options: Record<string, number | boolean | string>
  elapsed_s: number
  published: number
  confirmed: number
  publish_errors: number
  consumed: number
  /** Chunks delivered (consumed / chunks: messages per chunk, which bounds what credit lets in flight). */
  consumed_chunks: number
  rates: { published: number; confirmed: number; consumed: number }
  confirm_latency: LatencySummary | null
  /** Per consumer: from subscribe to its first chunk, ms (null: nothing arrived). */
  first_delivery_ms: Array<number | null>
  client_cpu_pct: number
  broker_cpu_pct?: number
  broker_rss_mb?: { start: number; end: number; max: number; samples: Array<[number, number]> }
  errors: string[]
}

interface Run {
  readonly control: StreamPerfConnection
  readonly stream: string
  readonly publishers: StreamPublisher[]
  readonly consumers: StreamConsumer[]
  readonly errors: string[]
}

export async function runStream(o: StreamRunOptions): Promise<StreamRunResult> {
  const run = await setUp(o)
  try {
    return await measure(o, run)
  } finally {
    await tearDown(o, run)
  }
}

async function setUp(o: StreamRunOptions): Promise<Run> {
  const uri = parseStreamUri(o.uri)
  const runId = `perf-stream-${process.pid}-${Date.now().toString(36)}`
  const control = await StreamPerfConnection.open(uri, `${runId} control`)
  const run: Run = { control, stream: o.stream ?? runId, publishers: [], consumers: [], errors: [] }
  const onError = (what: string) => (err: Error) => run.errors.push(`${what}: ${err.message}`)
  try {
    await control.request('create', KEY.create, (w) => w.string(run.stream).map([]), [
      CODE.ok,
      ...(o.stream !== undefined ? [CODE.streamAlreadyExists] : []),
    ])
    const expected = o.publishers > 0 ? o.count * o.publishers : o.count
    for (let i = 0; i < o.consumers; i++) {
      const conn = await StreamPerfConnection.open(uri, `${runId} consumer ${i}`)
      conn.onError = onError(`consumer ${i}`)
      const c = new StreamConsumer(conn, { ...o, stream: run.stream, count: expected })
      run.consumers.push(c)
      await c.subscribe()
    }
    for (let i = 0; i < o.publishers; i++) {
      const conn = await StreamPerfConnection.open(uri, `${runId} publisher ${i}`)
      conn.onError = onError(`publisher ${i}`)
      const p = new StreamPublisher(conn, { ...o, stream: run.stream, window: o.confirmWindow })
      run.publishers.push(p)
      await p.setup()
    }
  } catch (err) {
    await tearDown(o, run)
    throw err
  }
  return run
}

class RssTrack {
  readonly samples: Array<[number, number]> = []
  private max = 0
  constructor(
    private readonly pid: number,
    readonly start = processRss(pid) ?? 0,
  ) {}
  sample(elapsed: number): number {
    const mb = r1((processRss(this.pid) ?? 0) / 2 ** 20)
    this.max = Math.max(this.max, mb)
    this.samples.push([r1(elapsed), mb])
    return mb
  }
  summary(elapsed: number): NonNullable<StreamRunResult['broker_rss_mb']> {
    const end = this.sample(elapsed)
    return { start: r1(this.start / 2 ** 20), end, max: this.max, samples: this.samples }
  }
}

async function measure(o: StreamRunOptions, run: Run): Promise<StreamRunResult> {
  const { publishers, consumers } = run
  const cpu0 = process.cpuUsage()
  const brokerCpu = o.brokerPid !== undefined ? new CpuMeter(o.brokerPid) : undefined
  const rss = o.brokerPid !== undefined ? new RssTrack(o.brokerPid) : undefined
  const t0 = performance.now()
  for (const p of publishers) p.start()
  const ticker = startTicker(o, run, t0, rss)
  const ended = await waitForEnd(o, run)
  const elapsed = ((ended ?? performance.now()) - t0) / 1000
  const published = sum(publishers, (p) => p.published)
  const confirmed = sum(publishers, (p) => p.confirmed)
  const consumed = sum(consumers, (c) => c.consumed)
  const clientCpu = clientCpuPct(cpu0, elapsed * 1000)
  const brokerCpuPct = brokerCpu?.sample()
  clearInterval(ticker)
  for (const p of publishers) p.stop()
  const latency = new LatencyHistogram()
  for (const p of publishers) latency.add(p.confirmLatency)
  const result: StreamRunResult = {
    mode: 'stream',
    uri: redactStreamUri(o.uri),
    stream: run.stream,
    options: optionsOf(o),
    elapsed_s: r3(elapsed),
    published,
    confirmed,
    publish_errors: sum(publishers, (p) => p.errored),
    consumed,
    consumed_chunks: sum(consumers, (c) => c.chunks),
    rates: {
      published: r1(published / elapsed),
      confirmed: r1(confirmed / elapsed),
      consumed: r1(consumed / elapsed),
    },
    confirm_latency: latency.count > 0 ? latency.summary() : null,
    first_delivery_ms: consumers.map((c) => (c.firstDeliveryMs === undefined ? null : r3(c.firstDeliveryMs))),
    client_cpu_pct: clientCpu,
    errors: run.errors,
  }
  if (brokerCpuPct !== undefined) result.broker_cpu_pct = brokerCpuPct
  if (rss) result.broker_rss_mb = rss.summary(elapsed)
  return result
}

/** Waits for the end of the window; returns when it ended (performance.now()) for counted runs. */
async function waitForEnd(o: StreamRunOptions, run: Run): Promise<number | undefined> {
  const deadline = performance.now() + o.duration * 1000
  const stopped = (): boolean => performance.now() >= deadline || run.errors.length > 0
  if (o.count === 0) {
    while (!stopped()) await sleep(Math.min(50, deadline - performance.now()))
    return undefined
  }
  let settled = false
  void Promise.all([...run.publishers, ...run.consumers].map((x) => x.finished)).then(() => (settled = true))
  while (!settled && !stopped()) await sleep(5)
  if (!settled) run.errors.push(`count not reached within ${o.duration} s`)
  return performance.now()
}

function startTicker(o: StreamRunOptions, run: Run, t0: number, rss: RssTrack | undefined): NodeJS.Timeout {
  const meter = o.brokerPid !== undefined ? new CpuMeter(o.brokerPid) : undefined
  const every = Math.max(1, Math.round(o.rssEvery ?? 2))
  let last = { at: t0, published: 0, confirmed: 0, consumed: 0 }
  let ticks = 0
  return setInterval(() => {
    const now = performance.now()
    const cur = {
      at: now,
      published: sum(run.publishers, (p) => p.published),
      confirmed: sum(run.publishers, (p) => p.confirmed),
      consumed: sum(run.consumers, (c) => c.consumed),
    }
    const dt = (now - last.at) / 1000
    const recent = new LatencyHistogram()
    for (const p of run.publishers) recent.add(p.confirmLatency)
    const sample: StreamProgress = {
      elapsed_s: (now - t0) / 1000,
      published_per_s: (cur.published - last.published) / dt,
      confirmed_per_s: (cur.confirmed - last.confirmed) / dt,
      consumed_per_s: (cur.consumed - last.consumed) / dt,
      confirm_p50_ms: recent.percentile(50),
      confirm_p99_ms: recent.percentile(99),
    }
    const cpu = meter?.sample()
    if (cpu !== undefined) sample.broker_cpu_pct = cpu
    if (rss && ++ticks % every === 0) sample.broker_rss_mb = rss.sample(sample.elapsed_s)
    last = cur
    o.onProgress?.(sample)
  }, 1000)
}

async function tearDown(o: StreamRunOptions, run: Run): Promise<void> {
  for (const p of run.publishers) p.stop()
  await Promise.allSettled([...run.publishers, ...run.consumers].map((x) => x.conn.close()))
  const keep = o.stream !== undefined && o.keep === true
  if (!keep && !run.control.error) {
    try {
      await run.control.request('delete', KEY.delete, (w) => w.string(run.stream))
    } catch (err) {
      run.errors.push(`cleanup: ${(err as Error).message}`)
    }
  }
  await run.control.close()
}

function optionsOf(o: StreamRunOptions): Record<string, number | boolean | string> {
  const { publishers, consumers, size, batch, credit, offset, count } = o
  const opts = { publishers, consumers, size, batch, confirm_window: o.confirmWindow, credit, offset }
  return { ...opts, count, duration_s: o.duration, keep: o.keep === true }
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  let n = 0
  for (const x of xs) n += f(x)
  return n
}
